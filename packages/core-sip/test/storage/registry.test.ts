import { describe, expect, it } from 'vitest';
import { MemoryCacheDb } from '../../src/storage/memory-cachedb.js';
import { MemoryDb } from '../../src/storage/memory-db.js';
import { StorageRegistry } from '../../src/storage/registry.js';
import type { CacheDbDriver, DbDriver } from '../../src/storage/types.js';

describe('StorageRegistry', () => {
  it('serves one shared in-memory DB and cachedb when no URL is given', async () => {
    const r = new StorageRegistry();
    const a = await r.openDb(undefined);
    const b = await r.openDb('');
    const c = await r.openDb('memory://');
    await a.insert('t', { x: 1 });
    expect(await b.select('t')).toEqual([{ x: 1 }]);
    expect(await c.select('t')).toEqual([{ x: 1 }]);
    const k1 = await r.openCacheDb();
    await k1.set('k', 'v');
    expect(await (await r.openCacheDb('')).get('k')).toBe('v');
    // Another registry (another server) has its own.
    expect(await (await new StorageRegistry().openDb()).select('t')).toEqual([]);
    await r.closeAll();
  });

  it('closing one handle leaves the others working', async () => {
    const r = new StorageRegistry();
    const a = await r.openCacheDb();
    const b = await r.openCacheDb();
    await a.set('k', 'v');
    await a.close();
    await expect(a.get('k')).rejects.toMatchObject({ code: 'E_STORAGE' });
    expect(await b.get('k')).toBe('v');
    await r.closeAll();
  });

  it('refuses an unknown scheme, naming the package to load and masking the password', async () => {
    const r = new StorageRegistry();
    await expect(r.openDb('mysql://user:secret@host/db')).rejects.toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: no DB driver for scheme "mysql" in db_url "mysql://user:***@host/db": load @mod/db-mysql]`,
    );
    await expect(r.openCacheDb('redis://:pw@127.0.0.1:6379/0')).rejects.toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: no cachedb driver for scheme "redis" in cachedb_url "redis://:***@127.0.0.1:6379/0": load @mod/cachedb-redis]`,
    );
    await expect(r.openDb('nonsense')).rejects.toMatchObject({ code: 'E_DB_URL' });
  });

  it('opens through the driver of the scheme, once per URL, and closes every connection at the end', async () => {
    const r = new StorageRegistry();
    const opened: MemoryDb[] = [];
    let closed = 0;
    const driver: DbDriver = {
      schemes: ['fake'],
      open: async (url) => {
        const db = new MemoryDb(url);
        db.close = async () => void closed++;
        opened.push(db);
        return db;
      },
    };
    r.registerDbDriver(driver);
    const [a, b] = await Promise.all([r.openDb('fake://h/one'), r.openDb('fake://h/one')]);
    const other = await r.openDb('fake://h/two');
    expect(opened.map((d) => d.url)).toEqual(['fake://h/one', 'fake://h/two']);
    await a.insert('t', { v: 1 });
    expect(await other.select('t')).toEqual([]);
    expect(await b.select('t')).toEqual([{ v: 1 }]);
    await a.close();
    expect(closed).toBe(0);
    await r.closeAll();
    expect(closed).toBe(2);
  });

  it('retries an open that failed', async () => {
    const r = new StorageRegistry();
    let attempts = 0;
    const driver: CacheDbDriver = {
      schemes: ['flaky'],
      open: async (url) => {
        if (++attempts === 1) throw new Error('connection refused');
        return new MemoryCacheDb({ url });
      },
    };
    r.registerCacheDbDriver(driver);
    await expect(r.openCacheDb('flaky://127.0.0.1:1/')).rejects.toThrow('connection refused');
    await (await r.openCacheDb('flaky://127.0.0.1:1/')).set('k', 'v');
    expect(attempts).toBe(2);
    await r.closeAll();
  });

  it('refuses two drivers for one scheme', () => {
    const r = new StorageRegistry();
    const d: DbDriver = { schemes: ['mysql'], open: async (u) => new MemoryDb(u) };
    r.registerDbDriver(d);
    expect(() => r.registerDbDriver(d)).toThrowErrorMatchingInlineSnapshot(`[TsipsError: two DB drivers registered for scheme "mysql"]`);
    expect(() => r.registerDbDriver({ schemes: ['memory'], open: (u) => d.open(u) })).toThrow(/memory/);
  });
});
