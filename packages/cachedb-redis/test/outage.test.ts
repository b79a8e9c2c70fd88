import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog, sleep, startRedis, type RedisServer } from '@tsips/testkit';
import { RedisCacheDb, type RedisError } from '../src/index.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

describe('Redis restarts', () => {
  it('holds operations issued during the outage and completes them after the restart, logging the error', async () => {
    const { log, entries } = captureLog();
    const db = await RedisCacheDb.open(server.url, { log, queryTimeoutMs: 8_000 });
    try {
      await db.set('before', 'x');
      await server.down();
      await sleep(100);
      const t0 = Date.now();
      // Issued while Redis is down; each settles to its result or its error.
      const settle = <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => e as Error);
      const ops = Promise.all([
        settle(db.set('during', 'queued', 60)),
        settle(db.add('calls', 5, 60)),
        settle(db.sub('calls', 2)),
        settle(db.get('during')),
        settle(db.getByPrefix('dur')),
        settle(db.command('PING')),
      ]);
      await sleep(500);
      await server.up();
      const [set, added, subbed, got, byPrefix, ping] = await ops;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      expect(set).toBeUndefined();
      expect(added).toBe(5);
      expect(subbed).toBe(3);
      expect(got).toBe('queued'); // sent in the order they were issued
      expect(byPrefix).toEqual(new Map([['during', 'queued']]));
      expect(ping).toBe('PONG');
      expect(await db.get('before')).toBeNull(); // a restart without persistence starts empty

      const lines = entries.map((e) => `${e.level} ${e.msg}`);
      expect(lines).toContain('error cachedb_redis: connection to redis lost; holding commands and reconnecting');
      expect(lines).toContain('error cachedb_redis: redis connection error');
      expect(lines).toContain('info cachedb_redis: reconnected to redis');
      const errorLines = entries.filter((e) => e.level === 'error');
      expect(errorLines.length).toBe(2); // one "lost" and one cause per outage, not one per reconnect attempt
      const cause = errorLines.find((e) => e.msg === 'cachedb_redis: redis connection error')!.fields as { err: Error };
      expect(cause.err.message).toMatch(/ECONNREFUSED/);
    } finally {
      await db.close();
    }
  }, 30_000);

  it('loses no idempotent write when Redis restarts in the middle of a write load', async () => {
    const { log, entries } = captureLog();
    const db = await RedisCacheDb.open(server.url, { log, queryTimeoutMs: 8_000 });
    try {
      let next = 0;
      const total = 600;
      const acked: { key: string; at: number }[] = [];
      const worker = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          await db.set(`load:${i}`, String(i));
          acked.push({ key: `load:${i}`, at: Date.now() });
          await sleep(2);
        }
      };
      const load = Promise.all(Array.from({ length: 6 }, worker));
      await sleep(100);
      await server.down();
      const downAt = Date.now();
      await sleep(400);
      await server.up();
      await load; // no write was rejected
      expect(acked).toHaveLength(total);
      expect(entries.some((e) => e.msg === 'cachedb_redis: connection to redis lost; holding commands and reconnecting')).toBe(true);
      // Redis restarted without persistence: every write acknowledged after the outage began is in it.
      const after = acked.filter((a) => a.at > downAt);
      expect(after.length).toBeGreaterThan(100);
      const stored = await db.getByPrefix('load:');
      for (const a of after) expect(stored.get(a.key)).toBe(a.key.slice(5));
    } finally {
      await db.close();
    }
  }, 30_000);

  it('reports a counter update cut off mid-flight as uncertain instead of counting it twice', async () => {
    const { log } = captureLog();
    const db = await RedisCacheDb.open(server.url, { log, queryTimeoutMs: 8_000 });
    try {
      // Writes stall on the server, so the INCRBY is on the wire when Redis dies.
      await db.command('CLIENT', 'PAUSE', '5000', 'WRITE');
      const counted = db.add('uncertain:c', 1).catch((e: unknown) => e as RedisError);
      const kept = db.set('uncertain:k', 'v').catch((e: unknown) => e as RedisError);
      await sleep(100);
      await server.kill();
      const err = await counted;
      expect((err as RedisError).code).toBe('E_CACHEDB_UNAVAILABLE');
      expect((err as Error).message.replaceAll(String(server.port), 'PORT')).toMatchInlineSnapshot(
        `"add on counter "uncertain:c": connection to "redis://127.0.0.1:PORT/0" lost after sending, the change may or may not be applied (Connection is closed.)"`,
      );
      await server.up();
      expect(await kept).toBeUndefined(); // the idempotent set was retried after the restart
      expect(await db.get('uncertain:k')).toBe('v');
      expect(await db.getCounter('uncertain:c')).toBeNull();
    } finally {
      await server.up();
      await db.close();
    }
  }, 30_000);

  it('fails an operation with a clear error when Redis stays down longer than query_timeout', async () => {
    const { log } = captureLog();
    const db = await RedisCacheDb.open(server.url, { log, queryTimeoutMs: 600 });
    try {
      await server.down();
      await sleep(50);
      const t0 = Date.now();
      const err = await db.set('k', 'timed-out').catch((e: unknown) => e as RedisError);
      const waited = Date.now() - t0;
      expect((err as RedisError).code).toBe('E_CACHEDB_UNAVAILABLE');
      expect((err as Error).message.replaceAll(String(server.port), 'PORT').replace(/after \d+ ms/, 'after N ms')).toMatchInlineSnapshot(
        `"set of key "k" gave up after N ms: redis of "redis://127.0.0.1:PORT/0" unreachable (connect ECONNREFUSED 127.0.0.1:PORT)"`,
      );
      expect(waited).toBeGreaterThanOrEqual(550);
      expect(waited).toBeLessThan(3000);
      // The timed-out operation is not sent later behind the caller's back.
      await server.up();
      await sleep(200);
      expect(await db.get('k')).toBeNull();
    } finally {
      await server.up();
      await db.close();
    }
  }, 30_000);
});
