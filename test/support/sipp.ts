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

export interface CallsThrough {
  /** `call` (INVITE/ACK/BYE, test/sipp/uac-call.xml + uas-call.xml) or `options`. */
  kind: 'call' | 'options';
  calls: number;
  /** Calls per second of the UAC (sipp's default when left out). */
  rate?: number;
  /** More UAC arguments (`-t t1` for TCP, `-lost 10` …). */
  uacArgs?: readonly string[];
}

/** `calls` calls from a sipp UAC to a sipp UAS through the proxy at 127.0.0.1:`proxyPort` (-rsa); both results. */
export async function callsThrough(proxyPort: number, o: CallsThrough, timeoutMs = 30_000): Promise<{ uac: SippResult; uas: SippResult }> {
  const uas = await startSipp(['-sf', `${SCENARIOS}uas-${o.kind}.xml`, '-m', String(o.calls)], { timeoutMs });
  await uas.listening();
  const args = [`127.0.0.1:${uas.port}`, '-sf', `${SCENARIOS}uac-${o.kind}.xml`, '-rsa', `127.0.0.1:${proxyPort}`, '-s', 'bob', '-m', String(o.calls)];
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  const uac = await startSipp([...args, ...(o.uacArgs ?? [])], { timeoutMs });
  const [a, b] = await Promise.all([uac.done, uas.done]);
  return { uac: a, uas: b };
}
