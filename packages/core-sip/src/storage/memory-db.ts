/**
 * The in-memory DB, used when no `db_url` is configured and in tests. It behaves like the SQL drivers
 * where modules could notice: primary keys are unique (insert of an existing key fails, replace
 * overwrites), declared columns only, defaults and auto-increment applied, `ensureTable` records the
 * table version in `version` as OpenSIPS does. Rows are copied in and out, so a caller holding a row
 * cannot change what is stored.
 */
import { errors } from '../errors.js';
import type { Db, DbRow, DbSelectOptions, DbValue, DbWhere, TableSchema } from './types.js';

interface Table {
  schema: TableSchema | undefined;
  /** Keyed by the encoded primary key, or by an insertion counter for tables without a schema. */
  rows: Map<string, DbRow>;
  nextId: number;
  columns: Set<string> | undefined;
}

const VERSION_TABLE: TableSchema = {
  name: 'version',
  version: 1,
  columns: [
    { name: 'table_name', type: 'string', length: 32 },
    { name: 'table_version', type: 'int', default: 0 },
  ],
  primaryKey: ['table_name'],
};

export class MemoryDb implements Db {
  private readonly tables = new Map<string, Table>();

  constructor(readonly url = 'memory://') {}

  async ensureTable(schema: TableSchema): Promise<void> {
    if (schema.name !== VERSION_TABLE.name && !this.tables.has(VERSION_TABLE.name)) {
      this.tables.set(VERSION_TABLE.name, newTable(VERSION_TABLE));
    }
    const existing = this.tables.get(schema.name);
    if (existing?.schema) return;
    const table = newTable(schema);
    // A table used before its schema was known: re-key its rows now that the primary key is known.
    if (existing) for (const row of existing.rows.values()) this.put(table, this.complete(table, row), 'insert');
    this.tables.set(schema.name, table);
    if (schema.name !== VERSION_TABLE.name) {
      const version = this.tables.get(VERSION_TABLE.name);
      if (version) this.put(version, { table_name: schema.name, table_version: schema.version }, 'replace');
    }
  }

  async insert(table: string, row: DbRow): Promise<void> {
    const t = this.table(table);
    this.put(t, this.complete(t, row), 'insert');
  }

  async insertMany(table: string, rows: readonly DbRow[]): Promise<void> {
    const t = this.table(table);
    // All or nothing, as a multi-row INSERT: check every row before storing any.
    const staged = rows.map((r) => this.complete(t, r));
    const keys = new Set<string>();
    for (const r of staged) {
      const k = t.schema ? keyOf(t.schema, r) : undefined;
      if (k === undefined) continue;
      if (keys.has(k) || t.rows.has(k)) throw errors.storage(this.url, `duplicate primary key in "${table}"`);
      keys.add(k);
    }
    for (const r of staged) this.put(t, r, 'insert');
  }

  async replace(table: string, row: DbRow): Promise<void> {
    const t = this.table(table);
    this.put(t, this.complete(t, row), 'replace');
  }

  async replaceMany(table: string, rows: readonly DbRow[]): Promise<void> {
    const t = this.table(table);
    const staged = rows.map((r) => this.complete(t, r));
    for (const r of staged) this.put(t, r, 'replace');
  }

  async update(table: string, where: DbWhere, set: DbRow): Promise<number> {
    const t = this.table(table);
    this.checkColumns(t, where);
    this.checkColumns(t, set);
    const changed: [string, DbRow][] = [];
    for (const [k, row] of t.rows) if (matches(row, where)) changed.push([k, row]);
    for (const [oldKey, row] of changed) {
      const next = { ...row, ...copyRow(set) };
      const newKey = t.schema ? keyOf(t.schema, next) : oldKey;
      if (newKey !== oldKey && t.rows.has(newKey)) {
        throw errors.storage(this.url, `duplicate primary key in "${table}"`);
      }
      t.rows.delete(oldKey);
      t.rows.set(newKey, next);
    }
    return changed.length;
  }

  async delete(table: string, where: DbWhere): Promise<number> {
    const t = this.tables.get(table);
    if (!t) return 0;
    this.checkColumns(t, where);
    let n = 0;
    for (const [k, row] of t.rows) {
      if (matches(row, where)) {
        t.rows.delete(k);
        n++;
      }
    }
    return n;
  }

  async select(table: string, where: DbWhere = {}, opts: DbSelectOptions = {}): Promise<DbRow[]> {
    const t = this.tables.get(table);
    if (!t) return [];
    this.checkColumns(t, where);
    let out: DbRow[] = [];
    for (const row of t.rows.values()) if (matches(row, where)) out.push(row);
    if (opts.orderBy !== undefined) {
      const col = opts.orderBy;
      this.checkColumns(t, { [col]: null });
      out = out.slice().sort((a, b) => compare(a[col] ?? null, b[col] ?? null));
    }
    if (opts.limit !== undefined) out = out.slice(0, Math.max(0, opts.limit));
    const cols = opts.columns;
    if (cols) this.checkColumns(t, Object.fromEntries(cols.map((c) => [c, null])));
    return out.map((r) => (cols ? project(r, cols) : copyRow(r)));
  }

  async close(): Promise<void> {
    // Nothing to release; the data stays so a reopened handle of the same registry sees it.
  }

  /** Drops every table (the registry calls this when the server shuts down). */
  clear(): void {
    this.tables.clear();
  }

  private table(name: string): Table {
    let t = this.tables.get(name);
    if (!t) {
      t = newTable(undefined);
      this.tables.set(name, t);
    }
    return t;
  }

  /** A stored copy of `row` with defaults, nulls and auto-increment filled in; refuses unknown columns. */
  private complete(t: Table, row: DbRow): DbRow {
    this.checkColumns(t, row);
    const out = copyRow(row);
    if (!t.schema) return out;
    for (const c of t.schema.columns) {
      const v = out[c.name];
      if (v !== undefined && v !== null) {
        if (c.autoIncrement && typeof v === 'number' && v >= t.nextId) t.nextId = v + 1;
        continue;
      }
      if (c.autoIncrement) out[c.name] = t.nextId++;
      else if (v === undefined && c.default !== undefined) out[c.name] = copyValue(c.default);
      else if (c.nullable || c.default === null) out[c.name] = null;
      else throw errors.storage(this.url, `column "${c.name}" of "${t.schema.name}" cannot be null`);
    }
    return out;
  }

  private put(t: Table, row: DbRow, mode: 'insert' | 'replace'): void {
    const key = t.schema ? keyOf(t.schema, row) : String(t.nextId++);
    if (mode === 'insert' && t.rows.has(key)) {
      throw errors.storage(this.url, `duplicate primary key in "${t.schema?.name ?? '?'}"`);
    }
    t.rows.set(key, row);
  }

  private checkColumns(t: Table, row: Readonly<Record<string, unknown>>): void {
    if (!t.columns) return;
    for (const k in row) {
      if (!t.columns.has(k)) throw errors.storage(this.url, `table "${t.schema?.name ?? '?'}" has no column "${k}"`);
    }
  }
}

function newTable(schema: TableSchema | undefined): Table {
  return {
    schema,
    rows: new Map(),
    nextId: 1,
    columns: schema ? new Set(schema.columns.map((c) => c.name)) : undefined,
  };
}

/** Encodes the primary key unambiguously (a JSON array; blobs as hex). */
function keyOf(schema: TableSchema, row: DbRow): string {
  if (schema.primaryKey.length === 0) return JSON.stringify(Object.values(row).map(encodeValue));
  return JSON.stringify(schema.primaryKey.map((c) => encodeValue(row[c] ?? null)));
}

function encodeValue(v: DbValue): string | number | null {
  return Buffer.isBuffer(v) ? `\u0000${v.toString('hex')}` : v;
}

function matches(row: DbRow, where: DbWhere): boolean {
  for (const k in where) {
    if (!equal(row[k] ?? null, where[k] ?? null)) return false;
  }
  return true;
}

function equal(a: DbValue, b: DbValue): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  return a === b;
}

/** SQL-like ascending order: NULL first, numbers numerically, strings and blobs bytewise. */
function compare(a: DbValue, b: DbValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
  const sb = Buffer.isBuffer(b) ? b : Buffer.from(String(b));
  return Buffer.compare(sa, sb);
}

function copyValue(v: DbValue): DbValue {
  return Buffer.isBuffer(v) ? Buffer.from(v) : v;
}

function copyRow(row: DbRow): DbRow {
  const out: DbRow = {};
  for (const k in row) {
    const v = row[k];
    if (v !== undefined) out[k] = copyValue(v);
  }
  return out;
}

function project(row: DbRow, cols: readonly string[]): DbRow {
  const out: DbRow = {};
  for (const c of cols) out[c] = copyValue(row[c] ?? null);
  return out;
}
