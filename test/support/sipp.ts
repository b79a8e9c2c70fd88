/** sipp for the end-to-end tests: testkit's launcher (free -p/-cp, timeout, clear failure when not installed). */
import { fileURLToPath } from 'node:url';
import { startSipp, type SippResult } from '@tsips/testkit';

export { successfulCalls } from '@tsips/testkit';

export const SCENARIOS = fileURLToPath(new URL('../sipp/', import.meta.url));

export type { SippResult };

/** Starts sipp; `done` resolves when it exits (0: every call succeeded, 1: some failed). */
export function sipp(args: readonly string[], timeoutMs = 30_000): { done: Promise<SippResult>; kill(): void } {
  const run = startSipp(args, { timeoutMs });
  return {
    done: run.then((r) => r.done),
    kill: () =>
      void run.then(
        (r) => r.kill(),
        () => undefined,
      ),
  };
}
