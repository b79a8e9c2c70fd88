/** Starts the real `tsips` binary (from source through tsx, or the build) and waits until it says it started. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsips/testkit';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../apps/server/src/bin.ts', import.meta.url));
/** What `pnpm start` runs: the compiled binary (`pnpm test` builds it before vitest runs). */
export const DIST_BIN = fileURLToPath(new URL('../../apps/server/dist/bin.js', import.meta.url));

/** True when the workspace is built, so DIST_BIN runs on compiled packages. */
export function isBuilt(): boolean {
  return ['apps/server/dist/bin.js', 'packages/core-sip/dist/index.js', 'packages/rr/dist/index.js', 'packages/tm/dist/index.js', 'packages/dialog/dist/index.js'].every(
    (f) => existsSync(`${ROOT}${f}`),
  );
}

/** Runs node with tsx and the `source` export condition, so workspace packages load from src. */
export function tsipsArgs(args: readonly string[], nodeArgs: readonly string[] = []): string[] {
  return [...nodeArgs, '--conditions=source', '--import', 'tsx', BIN, ...args];
}

export interface TsipsProcess {
  proc: ChildProcess;
  sipPort: number;
  miPort: number;
  miUrl: string;
  output: () => string;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `nodeArgs` go to node before the script (`--expose-gc` for MI mem_gc); `built`: run DIST_BIN (plain node, compiled packages) instead of the sources through tsx. */
export async function startTsips(
  extra: readonly string[] = [],
  opts: { listen?: (port: number) => string[]; nodeArgs?: readonly string[]; built?: boolean } = {},
): Promise<TsipsProcess> {
  const sipPort = await freePort();
  // Two freePort() calls can hand back the same just-released port: the MI port must differ from the SIP one.
  let miPort = await freePort();
  while (miPort === sipPort) miPort = await freePort();
  const listen = opts.listen?.(sipPort) ?? [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`];
  const args = [...listen.flatMap((l) => ['--listen', l]), '--mi-port', String(miPort), ...extra];
  const proc = spawn(process.execPath, opts.built ? [...(opts.nodeArgs ?? []), DIST_BIN, ...args] : tsipsArgs(args, opts.nodeArgs), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tsips did not start within 15 s:\n${out}`)), 15_000);
    // A spawn that fails emits 'error' and maybe no 'exit': fail now rather than after the 15 s.
    proc.once('error', (err) => {
      clearTimeout(t);
      reject(new Error(`cannot run ${process.execPath} for tsips: ${err.message}`, { cause: err }));
    });
    const check = () => {
      if (out.includes('"msg":"tsips started"')) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`tsips exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    proc,
    sipPort,
    miPort,
    miUrl: `http://127.0.0.1:${miPort}/mi`,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

/** Runs the tsips CLI to completion (e.g. `tsips mi …`), returning exit code and output. */
export function runTsips(args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, tsipsArgs(args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`tsips ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    p.once('error', (err) => {
      clearTimeout(t);
      reject(new Error(`cannot run ${process.execPath} for tsips ${args.join(' ')}: ${err.message}`, { cause: err }));
    });
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
