/**
 * Storage drivers by URL scheme, and the connections opened through them. Modules ask for their
 * `db_url` / `cachedb_url`; the registry owns every connection (one per distinct URL, shared by the
 * modules using it, as OpenSIPS pools connections per URL) and closes them all at shutdown, so modules
 * never close what another module still uses. With no URL, every module of one server shares one
 * in-memory DB and one in-memory cachedb.
 */
import { errors } from '../errors.js';
import { MemoryCacheDb } from './memory-cachedb.js';
import { MemoryDb } from './memory-db.js';
import type { CacheDb, CacheDbDriver, Db, DbDriver } from './types.js';
import { maskUrl, parseStorageUrl } from './url.js';
import { SharedCacheDb, SharedDb } from './shared.js';

/** The scheme that names the in-memory stores explicitly (`db_url: memory://`). */
export const MEMORY_SCHEME = 'memory';

export class StorageRegistry {
  private readonly dbDrivers = new Map<string, DbDriver>();
  private readonly cacheDrivers = new Map<string, CacheDbDriver>();
  private readonly dbs = new Map<string, Promise<Db>>();
  private readonly caches = new Map<string, Promise<CacheDb>>();
  private memoryDb: MemoryDb | undefined;
  private memoryCache: MemoryCacheDb | undefined;

  registerDbDriver(d: DbDriver): void {
    for (const s of d.schemes) {
      const scheme = s.toLowerCase();
      if (this.dbDrivers.has(scheme) || scheme === MEMORY_SCHEME) throw errors.driverDuplicate('DB', scheme);
      this.dbDrivers.set(scheme, d);
    }
  }

  registerCacheDbDriver(d: CacheDbDriver): void {
    for (const s of d.schemes) {
      const scheme = s.toLowerCase();
      if (this.cacheDrivers.has(scheme) || scheme === MEMORY_SCHEME) throw errors.driverDuplicate('cachedb', scheme);
      this.cacheDrivers.set(scheme, d);
    }
  }

  /** Schemes with a DB driver (for `which`-style listings and error hints). */
  dbSchemes(): string[] {
    return [...this.dbDrivers.keys()];
  }

  cacheDbSchemes(): string[] {
    return [...this.cacheDrivers.keys()];
  }

  /** The DB for `url`; in-memory when `url` is undefined, empty or `memory://`. */
  async openDb(url?: string): Promise<Db> {
    const scheme = url ? parseStorageUrl(url).scheme : MEMORY_SCHEME;
    if (scheme === MEMORY_SCHEME) {
      this.memoryDb ??= new MemoryDb();
      return new SharedDb(this.memoryDb);
    }
    const driver = this.dbDrivers.get(scheme);
    if (!driver || url === undefined) throw errors.dbNoDriver(scheme, maskUrl(url ?? ''));
    return new SharedDb(await this.shared(this.dbs, url, () => driver.open(url)));
  }

  /** The cachedb for `url`; in-memory when `url` is undefined, empty or `memory://`. */
  async openCacheDb(url?: string): Promise<CacheDb> {
    const scheme = url ? parseStorageUrl(url).scheme : MEMORY_SCHEME;
    if (scheme === MEMORY_SCHEME) {
      this.memoryCache ??= new MemoryCacheDb();
      return new SharedCacheDb(this.memoryCache);
    }
    const driver = this.cacheDrivers.get(scheme);
    if (!driver || url === undefined) throw errors.cachedbNoDriver(scheme, maskUrl(url ?? ''));
    return new SharedCacheDb(await this.shared(this.caches, url, () => driver.open(url)));
  }

  /** Closes every connection opened through the registry; errors are collected, not short-circuited. */
  async closeAll(): Promise<void> {
    const pending = [...this.dbs.values(), ...this.caches.values()];
    this.dbs.clear();
    this.caches.clear();
    // A connection that never opened has nothing to close; its open error went to the module that asked.
    const results = await Promise.allSettled(
      pending.map((p) =>
        p.then(
          (c) => c.close(),
          () => undefined,
        ),
      ),
    );
    this.memoryDb?.clear();
    this.memoryDb = undefined;
    if (this.memoryCache) await this.memoryCache.close();
    this.memoryCache = undefined;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f): unknown => f.reason),
        `${failed.length} storage connection(s) failed to close`,
      );
    }
  }

  // One open per URL even when modules ask concurrently; a failed open is forgotten so a retry reopens.
  private shared<C>(cache: Map<string, Promise<C>>, url: string, open: () => Promise<C>): Promise<C> {
    let p = cache.get(url);
    if (!p) {
      p = open();
      cache.set(url, p);
      p.catch(() => {
        if (cache.get(url) === p) cache.delete(url);
      });
    }
    return p;
  }
}
