/** Runs sipp (Debian's sip-tester) on loopback with a bounded call count, for end-to-end tests. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = fileURLToPath(new URL('../sipp/', import.meta.url));

export interface SippResult {
  code: number | null;
  out: string;
}

/** Starts sipp; `done` resolves when it exits (0: every call succeeded, 1: some failed). */
export function sipp(args: readonly string[], timeoutMs = 30_000): { done: Promise<SippResult>; kill(): void } {
  const p = spawn('sipp', ['-nostdin', '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<SippResult>((resolve) => p.on('exit', (code) => resolve({ code, out })));
  return { done, kill: () => p.kill('SIGKILL') };
}

/** "Successful call" counter from sipp's final screen. */
export function successfulCalls(out: string): number {
  const m = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(out);
  return m ? Number(m[1]) : -1;
}
