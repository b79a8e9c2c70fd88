/**
 * A child process that talks in lines (a test fixture: a cluster node, a proxy): lines on stdout are
 * kept, `wait(re)` resolves with the first matching one (seen already or still to come), `send` writes
 * a line to stdin. Exiting early rejects the waits, with what the child printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface LineProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching `re` after line index `from` (default 0). */
  wait(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  send(line: string): void;
  /** Resolves once the process has exited (at once when it has). */
  exited(): Promise<void>;
}

/** Spawns `node --conditions=source --import tsx <script> ...args` from `cwd`. */
export function spawnTsLines(script: string, args: readonly string[], cwd: string, name = script): LineProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    wait: (re, timeoutMs = 15_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.slice(from).find((l) => re.test(l));
          if (found === undefined) return;
          done();
          resolve(found);
        };
        const onExit = (): void => {
          done();
          reject(new Error(`${name} exited before ${re}:\n${lines.join('\n')}\n${err}`));
        };
        // A spawn that fails emits 'error' and maybe no 'exit'.
        const onError = (e: Error): void => {
          done();
          reject(new Error(`cannot run ${process.execPath} for ${name}: ${e.message}`, { cause: e }));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no ${re} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}\n${err.slice(-2000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
          child.off('error', onError);
        };
        waiters.add(check);
        child.once('exit', onExit);
        child.once('error', onError);
        check();
      }),
    send: (line) => void child.stdin.write(`${line}\n`),
    exited: () => (gone() ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))),
  };
}
