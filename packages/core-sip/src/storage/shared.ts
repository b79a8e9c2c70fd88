/**
 * Handles given to modules on a connection the StorageRegistry owns: every call goes through, except
 * `close()`, which only detaches this handle (later calls fail) so one module closing its handle does
 * not close the connection under the others. The registry closes the connection itself at shutdown.
 */
import { errors } from '../errors.js';
import type { CacheDb, Db, DbRow, DbSelectOptions, DbWhere, TableSchema } from './types.js';

export class SharedDb implements Db {
  private inner: Db | undefined;
  readonly url: string;

  constructor(inner: Db) {
    this.inner = inner;
    this.url = inner.url;
  }

  private get db(): Db {
    if (!this.inner) throw errors.storage(this.url, 'used after close');
    return this.inner;
  }

  async insert(table: string, row: DbRow): Promise<void> {
    return this.db.insert(table, row);
  }
  async insertMany(table: string, rows: readonly DbRow[]): Promise<void> {
    return this.db.insertMany(table, rows);
  }
  async replace(table: string, row: DbRow): Promise<void> {
    return this.db.replace(table, row);
  }
  async replaceMany(table: string, rows: readonly DbRow[]): Promise<void> {
    return this.db.replaceMany(table, rows);
  }
  async update(table: string, where: DbWhere, set: DbRow): Promise<number> {
    return this.db.update(table, where, set);
  }
  async delete(table: string, where: DbWhere): Promise<number> {
    return this.db.delete(table, where);
  }
  async select(table: string, where?: DbWhere, opts?: DbSelectOptions): Promise<DbRow[]> {
    return this.db.select(table, where, opts);
  }
  async ensureTable(schema: TableSchema): Promise<void> {
    return this.db.ensureTable(schema);
  }
  async close(): Promise<void> {
    this.inner = undefined;
  }
}

export class SharedCacheDb implements CacheDb {
  private inner: CacheDb | undefined;
  readonly url: string;

  constructor(inner: CacheDb) {
    this.inner = inner;
    this.url = inner.url;
  }

  private get c(): CacheDb {
    if (!this.inner) throw errors.storage(this.url, 'used after close');
    return this.inner;
  }

  async get(key: string): Promise<string | null> {
    return this.c.get(key);
  }
  async set(key: string, value: string, expiresSec?: number): Promise<void> {
    return this.c.set(key, value, expiresSec);
  }
  async remove(key: string): Promise<void> {
    return this.c.remove(key);
  }
  async add(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.c.add(key, delta, expiresSec);
  }
  async sub(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.c.sub(key, delta, expiresSec);
  }
  async getCounter(key: string): Promise<number | null> {
    return this.c.getCounter(key);
  }
  async getByPrefix(prefix: string): Promise<Map<string, string>> {
    return this.c.getByPrefix(prefix);
  }
  async close(): Promise<void> {
    this.inner = undefined;
  }
}
