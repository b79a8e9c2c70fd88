import { createLogger } from '@core/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog, freePort, sleep, startRedis, type RedisServer } from '@tsips/testkit';
import cachedbRedis, { RedisCacheDb, RedisDriver, type RedisError } from '../src/index.js';

let server: RedisServer;
let db: RedisCacheDb;

beforeAll(async () => {
  server = await startRedis();
  db = await new RedisDriver().open(server.url);
});

afterAll(async () => {
  await db?.close();
  await server?.stop();
});

async function failure(p: Promise<unknown>, port: number): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as RedisError).code}: ${(err as Error).message}`.replaceAll(String(port), 'PORT');
  }
  return 'no error';
}

describe('key/value', () => {
  it('sets, gets and removes values', async () => {
    expect(await db.get('kv:absent')).toBeNull();
    await db.set('kv:a', 'sip:alice@example.com;transport=tcp');
    expect(await db.get('kv:a')).toBe('sip:alice@example.com;transport=tcp');
    await db.set('kv:a', 'changed');
    expect(await db.get('kv:a')).toBe('changed');
    expect(await db.command('TTL', 'kv:a')).toBe(-1); // no expiry unless asked
    await db.remove('kv:a');
    expect(await db.get('kv:a')).toBeNull();
    await db.remove('kv:a'); // removing an absent key is fine
  });

  it('expires values set with an expiry', async () => {
    await db.set('kv:exp', 'v', 1);
    const ttl = (await db.command('PTTL', 'kv:exp')) as number;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await sleep(1100);
    expect(await db.get('kv:exp')).toBeNull();
  });
});

describe('counters', () => {
  it('adds and subtracts atomically from an absent key and reads counters', async () => {
    expect(await db.getCounter('cnt:a')).toBeNull();
    expect(await db.add('cnt:a', 5)).toBe(5);
    expect(await db.add('cnt:a', 2)).toBe(7);
    expect(await db.sub('cnt:a', 10)).toBe(-3);
    expect(await db.sub('cnt:new', 1)).toBe(-1);
    expect(await db.getCounter('cnt:a')).toBe(-3);
    expect(await db.command('TTL', 'cnt:a')).toBe(-1);
  });

  it('applies the expiry with the increment, and refreshes it on each update', async () => {
    expect(await db.add('cnt:ttl', 1, 30)).toBe(1);
    expect(await db.command('TTL', 'cnt:ttl')).toBe(30);
    await db.command('EXPIRE', 'cnt:ttl', 5);
    expect(await db.sub('cnt:ttl', 1, 60)).toBe(0);
    expect(await db.command('TTL', 'cnt:ttl')).toBe(60);
  });

  it('still applies the expiry after the Lua script cache was flushed', async () => {
    await db.command('SCRIPT', 'FLUSH');
    expect(await db.add('cnt:flushed', 3, 40)).toBe(3);
    expect(await db.command('TTL', 'cnt:flushed')).toBe(40);
  });

  it('reports a value that is not a counter', async () => {
    await db.set('cnt:text', 'hello');
    expect(await failure(db.add('cnt:text', 1), server.port)).toMatchInlineSnapshot(
      `"E_CACHEDB_QUERY: add on counter "cnt:text" failed: ERR value is not an integer or out of range"`,
    );
    expect(await failure(db.getCounter('cnt:text'), server.port)).toMatchInlineSnapshot(
      `"E_CACHEDB_QUERY: getCounter of key "cnt:text" failed: value "hello" is not a counter"`,
    );
  });
});

describe('fetch by prefix', () => {
  it('returns every key under a prefix with SCAN (many keys, glob characters taken literally)', async () => {
    const n = 2600;
    for (let i = 0; i < n; i += 500) {
      const args: string[] = [];
      for (let j = i; j < Math.min(i + 500, n); j++) args.push(`b2be$[x]*:${j}`, `val${j}`);
      await db.command('MSET', ...args);
    }
    await db.set('b2be$[x]other', 'under "b2be$[x]" only', 0);
    await db.set('b2be$y:1', 'different prefix');
    await db.command('HSET', 'b2be$[x]*:hash', 'f', 'v'); // not a string: skipped
    const got = await db.getByPrefix('b2be$[x]*:');
    expect(got.size).toBe(n);
    expect(got.get('b2be$[x]*:0')).toBe('val0');
    expect(got.get('b2be$[x]*:2599')).toBe('val2599');
    expect(got.has('b2be$y:1')).toBe(false);
    expect((await db.getByPrefix('b2be$[x]')).size).toBe(n + 1);
    expect((await db.getByPrefix('nothing-here:')).size).toBe(0);
  });

  it('never uses KEYS', async () => {
    const before = (await db.command('INFO', 'commandstats')) as string;
    await db.getByPrefix('b2be$');
    const after = (await db.command('INFO', 'commandstats')) as string;
    expect(before.includes('cmdstat_keys')).toBe(false);
    expect(after.includes('cmdstat_keys')).toBe(false);
    expect(after).toMatch(/cmdstat_scan:calls=\d+/);
  });
});

describe('raw commands', () => {
  it('passes any command through and reports Redis errors', async () => {
    expect(await db.command('HSET', 'raw:h', 'callid', 'abc', 'state', '4')).toBe(2);
    expect(await db.command('HGETALL', 'raw:h')).toEqual(['callid', 'abc', 'state', '4']);
    expect(await db.command('ECHO', Buffer.from('bytes'))).toBe('bytes');
    expect(await failure(db.command('NOSUCHCMD', 'x'), server.port)).toMatch(/^E_CACHEDB_QUERY: command NOSUCHCMD failed: ERR unknown command 'NOSUCHCMD'/);
  });
});

describe('opening a cachedb_url', () => {
  it('selects the database number of the URL', async () => {
    const db3 = await RedisCacheDb.open(server.url.replace(/\/0$/, '/3'));
    try {
      await db3.set('where', 'db3');
      expect(await db.get('where')).toBeNull();
      expect(await db3.get('where')).toBe('db3');
    } finally {
      await db3.close();
    }
  });

  it('fails at open on a wrong or missing password, with the reason Redis gave', async () => {
    const secured = await startRedis({ password: 'tsips' });
    try {
      const ok = await RedisCacheDb.open(secured.url);
      expect(await ok.add('c', 1)).toBe(1);
      await ok.close();
      const { log } = captureLog();
      expect(await failure(RedisCacheDb.open(secured.url.replace(':tsips@', ':wrong@'), { log }), secured.port)).toMatchInlineSnapshot(
        `"E_CACHEDB_CONNECT: cannot open cachedb_url "redis://:***@127.0.0.1:PORT/0": WRONGPASS invalid username-password pair or user is disabled."`,
      );
      expect(await failure(RedisCacheDb.open(secured.url.replace(':tsips@', ''), { log }), secured.port)).toMatch(
        /^E_CACHEDB_CONNECT: cannot open cachedb_url "redis:\/\/127.0.0.1:PORT\/0": NOAUTH /,
      );
    } finally {
      await secured.stop();
    }
  });

  it('with shutdown_on_error, fails at open when Redis is unreachable', async () => {
    const port = await freePort();
    const { log } = captureLog();
    const msg = await failure(RedisCacheDb.open(`redis://127.0.0.1:${port}/0`, { shutdownOnError: true, log }), port);
    expect(msg).toMatchInlineSnapshot(`"E_CACHEDB_CONNECT: cannot open cachedb_url "redis://127.0.0.1:PORT/0": connect ECONNREFUSED 127.0.0.1:PORT"`);
  });

  it('without shutdown_on_error, starts anyway, logs the error and works once Redis is reachable', async () => {
    const late = await startRedis();
    await late.down();
    const { log, entries } = captureLog();
    const h = await RedisCacheDb.open(late.url, { log, queryTimeoutMs: 5_000 });
    try {
      expect(entries.map((e) => `${e.level} ${e.msg}`)).toContain('error cachedb_redis: redis connection error');
      const pending = h.add('late:c', 4);
      await sleep(200);
      await late.up();
      expect(await pending).toBe(4);
    } finally {
      await h.close();
      await late.stop();
    }
  });

  it('is served through the cachedb_redis module declaration', async () => {
    expect(cachedbRedis.name).toBe('cachedb_redis');
    const drivers = cachedbRedis.drivers?.({ connect_timeout: 1000, query_timeout: 1000, shutdown_on_error: 1 }, createLogger({ level: 'silent' }).root);
    expect(drivers?.cachedb?.schemes).toEqual(['redis', 'rediss']);
    const h = await drivers!.cachedb!.open(server.url);
    expect(h.url).toBe(server.url);
    expect(await h.add('module:c', 2)).toBe(2);
    await h.close();
    const closed = await failure(h.get('x'), server.port);
    expect(closed).toMatchInlineSnapshot(`"E_CACHEDB_CLOSED: cachedb handle for "redis://127.0.0.1:PORT/0" is closed"`);
  });
});
