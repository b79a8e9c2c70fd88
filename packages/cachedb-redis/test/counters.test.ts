import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { RedisCacheDb } from '../src/index.js';

const WORKER = fileURLToPath(new URL('./fixtures/incr-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

/** Starts a worker process (TypeScript through tsx, sources through the "source" condition). */
function startWorker(key: string, n: number): { child: ChildProcess; line: (prefix: string) => Promise<string> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER, server.url, key, String(n), '16'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = out.split('\n').find((l) => l.startsWith(prefix));
        if (found !== undefined) {
          cleanup();
          resolve(found);
        }
      };
      const onExit = (code: number | null): void => {
        check();
        cleanup();
        reject(new Error(`worker exited with ${code} before "${prefix}":\n${out}\n${err}`));
      };
      // A spawn that fails emits 'error' and maybe no 'exit'.
      const onError = (e: Error): void => {
        cleanup();
        reject(new Error(`cannot run ${process.execPath} for the worker: ${e.message}`, { cause: e }));
      };
      const cleanup = (): void => {
        child.stdout.off('data', check);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.stdout.on('data', check);
      child.once('exit', onExit);
      child.once('error', onError);
      check();
    });
  return { child, line };
}

describe('counters under concurrent updates from two processes', () => {
  it('ends at exactly 2N after two processes each add 1 N times', async () => {
    const n = 3000;
    const key = 'profile:size:cross-process';
    const a = startWorker(key, n);
    const b = startWorker(key, n);
    await Promise.all([a.line('ready'), b.line('ready')]);
    a.child.stdin!.write('go\n');
    b.child.stdin!.write('go\n');
    const [doneA, doneB] = await Promise.all([a.line('done'), b.line('done')]);
    // Each process saw the shared counter, not only its own increments.
    const lasts = [doneA, doneB].map((l) => Number(l.split(' ')[1]));
    expect(Math.max(...lasts)).toBe(2 * n);
    expect(Math.min(...lasts)).toBeGreaterThanOrEqual(n);

    const db = await RedisCacheDb.open(server.url);
    try {
      expect(await db.getCounter(key)).toBe(2 * n);
      const ttl = (await db.command('TTL', key)) as number;
      expect(ttl).toBeGreaterThan(0); // the expiry set by the Lua path stuck
    } finally {
      await db.close();
    }
  }, 40_000);
});
