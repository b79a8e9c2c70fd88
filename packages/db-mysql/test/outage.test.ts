import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableSchema } from '@core/sip';
import { captureLog, sleep, startMariaDb, type MariaDbServer } from '@tsips/testkit';
import { MysqlDb, type MysqlError } from '../src/index.js';

let server: MariaDbServer;

const events: TableSchema = {
  name: 'events_t',
  version: 1,
  columns: [
    { name: 'id', type: 'int' },
    { name: 'body', type: 'string', length: 64 },
    { name: 'hits', type: 'int', default: 0 },
  ],
  primaryKey: ['id'],
};

beforeAll(async () => {
  server = await startMariaDb();
  const db = await MysqlDb.open(server.userUrl);
  await db.ensureTable(events);
  await db.close();
});

afterAll(async () => {
  await server?.stop();
});

/**
 * Writes rows `from`…`from+count-1` from `workers` concurrent writers, alternating single inserts,
 * bulk inserts of 5 and insert+update pairs; resolves once every write has resolved (a rejected write
 * fails the test) with the number of rows written by insert+update. While `more()` holds the writers go on
 * past `count` (up to twice as many rows), so a fast machine cannot finish the load before an outage starts.
 */
async function writeLoad(db: MysqlDb, from: number, count: number, workers: number, more: () => boolean = () => false): Promise<number> {
  let next = from;
  let singles = 0;
  const end = (): number => from + (more() ? 2 * count : count);
  const worker = async (): Promise<void> => {
    while (next < end()) {
      const id = next;
      if (id % 10 === 0 && id + 5 <= end()) {
        next += 5;
        await db.insertMany(
          'events_t',
          [0, 1, 2, 3, 4].map((k) => ({ id: id + k, body: `row ${id + k}` })),
        );
      } else {
        next += 1;
        singles++;
        await db.insert('events_t', { id, body: `row ${id}` });
        await db.update('events_t', { id }, { hits: 1 });
      }
      await sleep(2); // spread the load over the outage
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return singles;
}

async function countRows(db: MysqlDb, from: number, count: number): Promise<number[]> {
  const rows = await db.select('events_t', undefined, { orderBy: 'id', columns: ['id'] });
  return rows.map((r) => r['id'] as number).filter((id) => id >= from && id < from + count);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

describe('server outages', () => {
  it('loses no write when the server restarts in the middle of a write load', async () => {
    const { log, entries } = captureLog();
    const db = await MysqlDb.open(server.userUrl, { log, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 400 });
    try {
      let restarted = false;
      const load = writeLoad(db, 0, 400, 8, () => !restarted);
      await sleep(150);
      const restart = server.restart(800).finally(() => (restarted = true));
      const [singlesWritten] = await Promise.all([load, restart]);
      expect(await countRows(db, 0, 400)).toEqual(range(0, 400));
      const singles = await db.select('events_t', { hits: 1 }, { columns: ['id'] });
      expect(singles.length).toBe(singlesWritten); // every insert's update landed too
      expect(singlesWritten).toBeGreaterThan(100);
      const msgs = entries.map((e) => `${e.level} ${e.msg}`);
      expect(msgs).toContain('error db_mysql: connection to the server lost; queuing statements and reconnecting');
      expect(msgs).toContain('info db_mysql: reconnected to the server');
    } finally {
      await db.close();
    }
  }, 40_000);

  it('loses no acknowledged write when the server crashes (SIGKILL) mid-write and comes back', async () => {
    const { log, entries } = captureLog();
    const db = await MysqlDb.open(server.userUrl, { log, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 400 });
    try {
      const load = writeLoad(db, 1000, 300, 6);
      await sleep(100);
      await server.kill();
      await sleep(500);
      await server.up();
      await load;
      expect(await countRows(db, 1000, 300)).toEqual(range(1000, 300));
      expect(entries.some((e) => e.level === 'error')).toBe(true); // the crash did hit the load
    } finally {
      await db.close();
    }
  }, 40_000);

  it('fails reads after max_db_queries and writes after write_retry_timeout while the server stays down', async () => {
    const { log, entries } = captureLog();
    const db = await MysqlDb.open(server.userUrl, {
      log,
      maxDbQueries: 2,
      connectTimeoutMs: 300,
      writeRetryMs: 3000,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 200,
    });
    try {
      await server.down();
      const t0 = Date.now();
      const read = await db.select('events_t', { id: 1 }).catch((e: unknown) => e as MysqlError);
      expect((read as MysqlError).code).toBe('E_DB_UNAVAILABLE');
      expect((read as Error).message).toMatch(
        /^select on table "events_t" gave up after \d+ ms: server of "mysql:\/\/tsips:\*\*\*@127\.0\.0\.1:\d+\/tsips_test" unreachable/,
      );
      const write = await db.insert('events_t', { id: 5000, body: 'late' }).catch((e: unknown) => e as MysqlError);
      expect((write as MysqlError).code).toBe('E_DB_UNAVAILABLE');
      expect((write as Error).message).toMatch(/^insert on table "events_t" gave up after \d+ ms: server of ".*" unreachable \(connect ECONNREFUSED/);
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(3000);
      expect(waited).toBeLessThan(8000);
      expect(entries.filter((e) => e.level === 'error')).toHaveLength(1); // one log line per outage, not per statement

      // A write queued while the server is down completes once it is back.
      const queued = db.insert('events_t', { id: 5001, body: 'queued' }).then(
        () => 'written',
        (e: unknown) => e,
      );
      await sleep(200);
      await server.up();
      // writeRetryMs is 3000: the server came back within it.
      expect(await queued).toBe('written');
      expect(await db.select('events_t', { id: 5001 }, { columns: ['body'] })).toEqual([{ body: 'queued' }]);
      expect(await db.select('events_t', { id: 5000 })).toEqual([]);
    } finally {
      await server.up();
      await db.close();
    }
  }, 40_000);

  it('rejects operations after close', async () => {
    const db = await MysqlDb.open(server.userUrl);
    await db.close();
    const err = await db.select('events_t').catch((e: unknown) => e as MysqlError);
    expect(`${(err as MysqlError).code}: ${(err as Error).message}`.replace(String(server.port), 'PORT')).toMatchInlineSnapshot(
      `"E_DB_CLOSED: db handle for "mysql://tsips:***@127.0.0.1:PORT/tsips_test" is closed"`,
    );
  });
});
