import { spawn, type ChildProcess } from 'node:child_process';
import type { MissingBinaryError } from './errors.js';
import { requireBinary, spawnFailure } from './which.js';

/**
 * Servers started by this process. They are killed when the test process exits, so a crashed or
 * interrupted test run never leaves a mariadbd or redis-server behind.
 */
const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Why a child could not be spawned (its 'error' event), kept so waiters fail with it at once. */
const spawnErrors = new WeakMap<ChildProcess, MissingBinaryError>();

/** The spawn failure of `child`, if it had one. */
export function spawnError(child: ChildProcess): MissingBinaryError | undefined {
  return spawnErrors.get(child);
}

/**
 * Spawns a server binary detached from our stdio (it logs to files); tracked for cleanup at exit. Throws a
 * MissingBinaryError at once when `bin` is not installed; a spawn that still fails ('error' event) is kept for
 * `spawnError()` and ends `exited()`, instead of being an uncaught exception and a wait for a timeout.
 */
export function spawnServer(bin: string, args: readonly string[]): ChildProcess {
  hookExit();
  const child = spawn(requireBinary(bin), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', (err) => {
    live.delete(child);
    spawnErrors.set(child, spawnFailure(bin, err));
  });
  return child;
}

/** Resolves when the child has exited, or never started (at once if either already happened). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || spawnErrors.has(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(bin: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(requireBinary(bin), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(spawnFailure(bin, err));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} exited with ${code ?? signal}:\n${out.slice(-4000)}`));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` (sync or async) every `everyMs` until it is true, failing after `timeoutMs` with `describe()`;
 * a probe that throws ends the wait with its error.
 */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs = 3000, describe: () => string = () => 'condition not met', everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(everyMs);
  }
}

/**
 * Spawns a server and waits until `ready()` says it serves; fails at once, with the end of its log, if the
 * process dies while starting, and after `timeoutMs` if it never gets ready.
 */
export async function spawnAndWait(
  bin: string,
  args: readonly string[],
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; name: string; logTail: () => Promise<string>; onSpawn: (proc: ChildProcess) => void },
): Promise<void> {
  const proc = spawnServer(bin, args);
  opts.onSpawn(proc); // before waiting: a server that never gets ready must still be stoppable
  let died = false;
  void exited(proc).then(() => (died = true));
  await waitFor(
    async () => {
      if (died) throw spawnError(proc) ?? new Error(`${opts.name} exited while starting:\n${await opts.logTail()}`);
      return ready();
    },
    opts.timeoutMs,
    () => `${opts.name} did not get ready`,
    50, // each probe opens a connection
  );
}
