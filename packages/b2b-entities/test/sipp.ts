/** SIPp for these tests: testkit's launcher (free -p/-cp, bound run time, clear failure when not installed), with its counters as `ok`/`failed`. */
import { startSipp, type SippResult, type SippRun } from '@tsips/testkit';

export interface SippOutcome {
  code: number | null;
  ok: number;
  failed: number;
  out: string;
}

export function outcome(r: SippResult): SippOutcome {
  return { code: r.code, ok: r.successful, failed: r.failed, out: r.out.slice(-3000) };
}

export async function runSipp(args: readonly string[], timeoutS = 30): Promise<SippOutcome> {
  const run = await startSipp(args, { timeoutMs: timeoutS * 1000 });
  return outcome(await run.done);
}

/** A sipp UAS on scenario `file`, resolved once it listens. */
export async function sippUas(file: string, calls = 1, timeoutS = 30): Promise<{ port: number; done: Promise<SippOutcome> }> {
  const run: SippRun = await startSipp(['-sf', file, '-m', String(calls)], { timeoutMs: timeoutS * 1000 });
  await run.listening();
  return { port: run.port, done: run.done.then(outcome) };
}
