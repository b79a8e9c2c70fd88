/** One launcher for SIPp (Debian's sip-tester) in tests: free ports, a bound run time, clear failures, counters. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, udpPortBound } from './ports.js';
import { waitFor } from './process.js';
import { requireBinary, spawnFailure } from './which.js';

export interface SippOptions {
  /** Directory sipp runs in (its trace files land there); when left out, a temporary one removed after the exit. */
  cwd?: string;
  /** sipp's own `-timeout`; the process is killed a few seconds later if it still runs. Default 30 s. */
  timeoutMs?: number;
}

export interface SippResult {
  /** Exit code (0: every call succeeded, 1: some failed; null when killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr in arrival order, for failure messages. */
  out: string;
  /** Final "Successful call" / "Failed call" counters (-1 when sipp reported none). */
  successful: number;
  failed: number;
}

export interface SippRun {
  /** The local SIP port (`-p`) and control port (`-cp`) this sipp uses. */
  readonly port: number;
  readonly controlPort: number;
  readonly cwd: string;
  /** Resolves when sipp exits; rejects with a MissingBinaryError when it could not be started. */
  readonly done: Promise<SippResult>;
  /** Resolves once sipp has bound its SIP port (a UAS is ready for calls). */
  listening(timeoutMs?: number): Promise<void>;
  kill(): void;
}

const has = (args: readonly string[], opt: string): boolean => args.includes(opt);

/** The value after `opt` in `args`. */
function valueOf(args: readonly string[], opt: string): string | undefined {
  const i = args.indexOf(opt);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A counter from sipp's last screen (the final one): `Successful call | <periodic> | <cumulative>`. */
function screenCounter(out: string, label: string): number {
  const last = [...out.matchAll(new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
  return last ? Number(last[1]) : -1;
}

/** The cumulative "Successful call" counter from sipp's final screen in `out`, or -1. */
export function successfulCalls(out: string): number {
  return screenCounter(out, 'Successful call');
}

/**
 * Starts sipp with `args`, adding what a parallel test run needs unless `args` has it: `-p` a free local port,
 * `-cp` a free control port (sipp binds 5060 and 8888 by default), `-i 127.0.0.1`, `-nostdin` and a `-timeout`.
 * The counters come from the final screen sipp prints on exit. Fails at once when sipp is not installed.
 */
export async function startSipp(args: readonly string[], opts: SippOptions = {}): Promise<SippRun> {
  const bin = requireBinary('sipp');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ownDir = opts.cwd === undefined;
  const cwd = opts.cwd ?? (await mkdtemp(join(tmpdir(), 'tsips-sipp-')));
  const port = Number(valueOf(args, '-p') ?? (await freePort()));
  const controlPort = Number(valueOf(args, '-cp') ?? (await freePort()));
  const full = [
    ...(has(args, '-p') ? [] : ['-p', String(port)]),
    ...(has(args, '-cp') ? [] : ['-cp', String(controlPort)]),
    ...(has(args, '-i') ? [] : ['-i', '127.0.0.1']),
    ...(has(args, '-nostdin') ? [] : ['-nostdin']),
    ...(has(args, '-timeout') ? [] : ['-timeout', `${Math.ceil(timeoutMs / 1000)}s`]),
    ...args,
  ];
  const child = spawn(bin, full, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let out = '';
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (out += d.toString())));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (out += d.toString())));
  // sipp's -timeout ends a normal run; this only catches a sipp that hangs past it.
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
  let failure: Error | undefined;
  const done = new Promise<SippResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(killer);
      failure = spawnFailure(bin, err);
      if (ownDir) void rm(cwd, { recursive: true, force: true });
      reject(failure);
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      if (failure) return;
      const result: SippResult = { code, stdout, stderr, out, successful: screenCounter(stdout, 'Successful call'), failed: screenCounter(stdout, 'Failed call') };
      void (ownDir ? rm(cwd, { recursive: true, force: true }) : Promise.resolve()).then(() => resolve(result));
    });
  });
  // A caller that only awaits listening() must not see an unhandled rejection; done still rejects for them.
  done.catch(() => undefined);
  return {
    port,
    controlPort,
    cwd,
    done,
    listening: (ms = 10_000) =>
      waitFor(
        async () => {
          if (failure) throw failure;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`sipp exited (${child.exitCode ?? child.signalCode}) before binding port ${port}:\n${out.slice(-2000)}`);
          return udpPortBound(port);
        },
        ms,
        () => `sipp did not bind UDP port ${port}`,
        20,
      ),
    kill: () => void child.kill('SIGKILL'),
  };
}
