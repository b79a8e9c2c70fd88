/** Types of scripts/transpile.mjs, for the tests that import it. */
export interface TranspileReport {
  /** Package dirs (relative to the workspace root) that were out of date and transpiled. */
  packages: string[];
  /** Output files whose content changed. */
  written: number;
  ms: number;
}
export function transpile(target?: string, opts?: { force?: boolean; root?: string }): Promise<TranspileReport>;
