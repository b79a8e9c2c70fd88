/**
 * Storage contracts. Modules persist through these interfaces only; drivers (db-mysql, cachedb-redis)
 * register for a URL scheme, and the in-memory implementations serve when no URL is configured.
 */

/** A column value as stored: strings, numbers (INT/BIGINT within 2^53), null, or raw bytes (BLOB). */
export type DbValue = string | number | null | Buffer;
export type DbRow = Record<string, DbValue>;

/** Filter: column = value for each key, ANDed (OpenSIPS db_key_t/db_val_t with the `=` operator). */
export type DbWhere = Record<string, DbValue>;

export interface DbSelectOptions {
  /** Columns to return; all when omitted. */
  columns?: readonly string[];
  orderBy?: string;
  limit?: number;
}

/** The DB API (`db_url`), as OpenSIPS's db_func_t: typed insert/update/delete/select/replace. */
export interface Db {
  /** The URL it was opened with, password masked (for logs). */
  readonly url: string;
  insert(table: string, row: DbRow): Promise<void>;
  /** Bulk insert, for write-back modes (dialog db_mode 2/3). */
  insertMany(table: string, rows: readonly DbRow[]): Promise<void>;
  /** Insert or replace by primary key. */
  replace(table: string, row: DbRow): Promise<void>;
  /** Bulk insert-or-replace by primary key (dialog's shutdown flush): few statements for many rows. */
  replaceMany(table: string, rows: readonly DbRow[]): Promise<void>;
  /** Returns the number of rows changed. */
  update(table: string, where: DbWhere, set: DbRow): Promise<number>;
  /** Returns the number of rows deleted; an empty `where` deletes every row. */
  delete(table: string, where: DbWhere): Promise<number>;
  select(table: string, where?: DbWhere, opts?: DbSelectOptions): Promise<DbRow[]>;
  /** Creates a table when it does not exist (schema files of the modules use this). */
  ensureTable(schema: TableSchema): Promise<void>;
  close(): Promise<void>;
}

export type ColumnType = 'int' | 'bigint' | 'string' | 'text' | 'blob' | 'datetime';
export interface ColumnSchema {
  name: string;
  type: ColumnType;
  /** For `string`: VARCHAR length. */
  length?: number;
  nullable?: boolean;
  default?: DbValue;
  autoIncrement?: boolean;
}
export interface TableSchema {
  name: string;
  /** Version recorded in the `version` table, as OpenSIPS does. */
  version: number;
  columns: readonly ColumnSchema[];
  primaryKey: readonly string[];
  indexes?: readonly { name: string; columns: readonly string[]; unique?: boolean }[];
}

/** The cachedb API (`cachedb_url`): key/value with expiry and atomic counters, as OpenSIPS cachedb_funcs. */
export interface CacheDb {
  readonly url: string;
  get(key: string): Promise<string | null>;
  /** `expiresSec` 0 or omitted: no expiry. */
  set(key: string, value: string, expiresSec?: number): Promise<void>;
  remove(key: string): Promise<void>;
  /** Atomically adds `delta` (creating the key at 0) and returns the new value; sets expiry when given. */
  add(key: string, delta: number, expiresSec?: number): Promise<number>;
  /** Atomically subtracts `delta` and returns the new value. */
  sub(key: string, delta: number, expiresSec?: number): Promise<number>;
  /** Returns the counter value, or null when absent. */
  getCounter(key: string): Promise<number | null>;
  /** Keys (with values) that start with `prefix`. */
  getByPrefix(prefix: string): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export interface DbDriver {
  /** URL schemes served, e.g. `mysql`. */
  readonly schemes: readonly string[];
  open(url: string): Promise<Db>;
}
export interface CacheDbDriver {
  readonly schemes: readonly string[];
  open(url: string): Promise<CacheDb>;
}
