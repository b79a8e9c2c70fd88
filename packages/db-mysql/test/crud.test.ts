import { createLogger } from '@core/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableSchema } from '@core/sip';
import { startMariaDb, type MariaDbServer } from '@tsips/testkit';
import dbMysql, { MysqlDb, MysqlDriver, createTables, type MysqlError } from '../src/index.js';

let server: MariaDbServer;
let db: MysqlDb;

const location: TableSchema = {
  name: 'location_t',
  version: 1013,
  columns: [
    { name: 'contact_id', type: 'bigint', autoIncrement: true },
    { name: 'username', type: 'string', length: 64, default: '' },
    { name: 'contact', type: 'string', length: 255 },
    { name: 'expires', type: 'int', default: 0 },
    { name: 'q', type: 'int', default: 10 },
    { name: 'attr', type: 'blob', nullable: true },
    { name: 'notes', type: 'text', nullable: true },
    { name: 'last_modified', type: 'datetime', default: '1900-01-01 00:00:01' },
  ],
  primaryKey: ['contact_id'],
  indexes: [{ name: 'user_contact_idx', columns: ['username', 'contact'], unique: true }],
};

const kv: TableSchema = {
  name: 'kv_t',
  version: 2,
  columns: [
    { name: 'k', type: 'string', length: 64 },
    { name: 'v', type: 'string', length: 64, nullable: true },
    { name: 'n', type: 'int', default: 0 },
  ],
  primaryKey: ['k'],
};

beforeAll(async () => {
  server = await startMariaDb();
  db = await new MysqlDriver().open(server.userUrl);
  await db.ensureTable(location);
  await db.ensureTable(kv);
});

afterAll(async () => {
  await db?.close();
  await server?.stop();
});

/** The coded message of a rejected promise, with the server's port made stable for snapshots. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as MysqlError).code}: ${(err as Error).message}`.replaceAll(String(server.port), 'PORT');
  }
  return 'no error';
}

describe('opening a db_url', () => {
  it('fails at open with the server reason when the password is wrong', async () => {
    const url = server.userUrl.replace('tsips:tsips@', 'tsips:wrong@');
    expect(await failure(MysqlDb.open(url))).toMatchInlineSnapshot(
      `"E_DB_CONNECT: cannot open db_url "mysql://tsips:***@127.0.0.1:PORT/tsips_test": Access denied for user 'tsips'@'127.0.0.1' (using password: YES) (ER_ACCESS_DENIED_ERROR)"`,
    );
  });

  it('fails at open when the database does not exist', async () => {
    const url = server.url.replace('/tsips_test', '/no_such_db');
    expect(await failure(MysqlDb.open(url))).toMatchInlineSnapshot(
      `"E_DB_CONNECT: cannot open db_url "mysql://root@127.0.0.1:PORT/no_such_db": Unknown database 'no_such_db' (ER_BAD_DB_ERROR)"`,
    );
  });

  it('fails at open when nothing listens on the port', async () => {
    const { freePort } = await import('@tsips/testkit');
    const port = await freePort();
    const msg = await failure(MysqlDb.open(`mysql://u:secret@127.0.0.1:${port}/db`));
    expect(msg.replaceAll(String(port), 'P')).toMatchInlineSnapshot(
      `"E_DB_CONNECT: cannot open db_url "mysql://u:***@127.0.0.1:P/db": connect ECONNREFUSED 127.0.0.1:P"`,
    );
  });

  it('rejects a malformed URL before connecting', async () => {
    expect(await failure(MysqlDb.open('mysql://tsips:tsips@127.0.0.1:3306'))).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "mysql://tsips:***@127.0.0.1:3306": no database name (expected …@host:port/database)"`,
    );
  });

  it('is served through the db_mysql module declaration', async () => {
    expect(dbMysql.name).toBe('db_mysql');
    const drivers = dbMysql.drivers?.(
      {
        pool_size: 2,
        max_db_queries: 2,
        timeout_interval: 2,
        exec_query_threshold: 0,
        reconnect_backoff_ms: 50,
        reconnect_backoff_max_ms: 1000,
        write_retry_timeout: 5000,
      },
      createLogger({ level: 'silent' }).root,
    );
    expect(drivers?.db?.schemes).toEqual(['mysql']);
    const h = await drivers!.db!.open(server.userUrl);
    expect(h.url).toBe(`mysql://tsips:***@127.0.0.1:${server.port}/tsips_test`);
    expect(await h.select('kv_t', { k: 'absent' })).toEqual([]);
    await h.close();
  });
});

describe('schema', () => {
  it('creates tables with their columns and records versions in the version table', async () => {
    const rows = await db.select('version', undefined, { orderBy: 'table_name' });
    expect(rows).toEqual([
      { table_name: 'kv_t', table_version: 2 },
      { table_name: 'location_t', table_version: 1013 },
    ]);
    const [cols] = await rawQuery(
      "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tsips_test' AND TABLE_NAME = 'location_t' ORDER BY ORDINAL_POSITION",
    );
    expect(cols).toMatchInlineSnapshot(`
      [
        {
          "COLUMN_DEFAULT": null,
          "COLUMN_NAME": "contact_id",
          "COLUMN_TYPE": "bigint(20)",
          "EXTRA": "auto_increment",
          "IS_NULLABLE": "NO",
        },
        {
          "COLUMN_DEFAULT": "''",
          "COLUMN_NAME": "username",
          "COLUMN_TYPE": "varchar(64)",
          "EXTRA": "",
          "IS_NULLABLE": "NO",
        },
        {
          "COLUMN_DEFAULT": null,
          "COLUMN_NAME": "contact",
          "COLUMN_TYPE": "varchar(255)",
          "EXTRA": "",
          "IS_NULLABLE": "NO",
        },
        {
          "COLUMN_DEFAULT": "0",
          "COLUMN_NAME": "expires",
          "COLUMN_TYPE": "int(11)",
          "EXTRA": "",
          "IS_NULLABLE": "NO",
        },
        {
          "COLUMN_DEFAULT": "10",
          "COLUMN_NAME": "q",
          "COLUMN_TYPE": "int(11)",
          "EXTRA": "",
          "IS_NULLABLE": "NO",
        },
        {
          "COLUMN_DEFAULT": "NULL",
          "COLUMN_NAME": "attr",
          "COLUMN_TYPE": "blob",
          "EXTRA": "",
          "IS_NULLABLE": "YES",
        },
        {
          "COLUMN_DEFAULT": "NULL",
          "COLUMN_NAME": "notes",
          "COLUMN_TYPE": "text",
          "EXTRA": "",
          "IS_NULLABLE": "YES",
        },
        {
          "COLUMN_DEFAULT": "'1900-01-01 00:00:01'",
          "COLUMN_NAME": "last_modified",
          "COLUMN_TYPE": "datetime",
          "EXTRA": "",
          "IS_NULLABLE": "NO",
        },
      ]
    `);
  });

  it('creates the primary key and the declared indexes', async () => {
    const [idx] = await rawQuery(
      "SELECT INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'tsips_test' AND TABLE_NAME = 'location_t' GROUP BY INDEX_NAME, NON_UNIQUE ORDER BY INDEX_NAME",
    );
    expect(idx).toEqual([
      { INDEX_NAME: 'PRIMARY', NON_UNIQUE: 0, cols: 'contact_id' },
      { INDEX_NAME: 'user_contact_idx', NON_UNIQUE: 0, cols: 'username,contact' },
    ]);
  });

  it('createTables reports created and existing tables, and is idempotent', async () => {
    const extra: TableSchema = { name: 'extra_t', version: 7, columns: [{ name: 'id', type: 'int' }], primaryKey: ['id'] };
    expect(await createTables(server.userUrl, [kv, extra])).toEqual({ created: ['extra_t'], existing: ['kv_t'] });
    expect(await createTables(server.userUrl, [kv, extra])).toEqual({ created: [], existing: ['kv_t', 'extra_t'] });
    expect(await db.select('version', { table_name: 'extra_t' })).toEqual([{ table_name: 'extra_t', table_version: 7 }]);
  });

  it('refuses a table whose recorded version differs from the schema', async () => {
    expect(await failure(db.ensureTable({ ...kv, version: 3 }))).toMatchInlineSnapshot(
      `"E_DB_TABLE_VERSION: table "kv_t" has version 2 in table "version", this module needs version 3: migrate or recreate the table"`,
    );
  });

  it('refuses names that are not plain identifiers, before sending anything', async () => {
    expect(await failure(db.select('kv_t; DROP TABLE kv_t'))).toMatchInlineSnapshot(
      `"E_DB_IDENTIFIER: invalid table name "kv_t; DROP TABLE kv_t": use letters, digits, "_" and "$" only"`,
    );
    expect(await failure(db.insert('kv_t', { 'k`': 'x' }))).toMatchInlineSnapshot(`"E_DB_IDENTIFIER: invalid column name "k\`": use letters, digits, "_" and "$" only"`);
  });
});

describe('CRUD', () => {
  it('inserts, selects, updates and deletes rows', async () => {
    await db.insert('kv_t', { k: 'a', v: 'one', n: 1 });
    await db.insert('kv_t', { k: 'b', v: null, n: 2 });
    expect(await db.select('kv_t', { k: 'a' })).toEqual([{ k: 'a', v: 'one', n: 1 }]);
    expect(await db.select('kv_t', { v: null })).toEqual([{ k: 'b', v: null, n: 2 }]);
    expect(await db.update('kv_t', { k: 'a' }, { v: 'uno', n: 11 })).toBe(1);
    expect(await db.update('kv_t', { k: 'zz' }, { v: 'none' })).toBe(0);
    expect(await db.select('kv_t', { k: 'a' }, { columns: ['v', 'n'] })).toEqual([{ v: 'uno', n: 11 }]);
    expect(await db.delete('kv_t', { k: 'a' })).toBe(1);
    expect(await db.select('kv_t', { k: 'a' })).toEqual([]);
    expect(await db.delete('kv_t', {})).toBe(1);
  });

  it('reports a constraint violation with the table and the server reason', async () => {
    await db.insert('kv_t', { k: 'dup' });
    expect(await failure(db.insert('kv_t', { k: 'dup' }))).toMatchInlineSnapshot(
      `"E_DB_QUERY: insert on table "kv_t" failed: Duplicate entry 'dup' for key 'PRIMARY' (ER_DUP_ENTRY)"`,
    );
    await db.delete('kv_t', {});
  });

  it('replace inserts or overwrites by primary key', async () => {
    await db.replace('kv_t', { k: 'r', v: 'first', n: 1 });
    await db.replace('kv_t', { k: 'r', v: 'second', n: 2 });
    expect(await db.select('kv_t', { k: 'r' })).toEqual([{ k: 'r', v: 'second', n: 2 }]);
    await db.delete('kv_t', {});
  });

  it('bulk-inserts rows, including rows with different column sets', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({ k: `bulk${String(i).padStart(4, '0')}`, v: `v${i}`, n: i }));
    rows.push({ k: 'bulk_defaults' } as (typeof rows)[number]);
    await db.insertMany('kv_t', rows);
    const all = await db.select('kv_t', undefined, { orderBy: 'k' });
    expect(all).toHaveLength(1201);
    expect(all[0]).toEqual({ k: 'bulk0000', v: 'v0', n: 0 });
    expect(all[1199]).toEqual({ k: 'bulk1199', v: 'v1199', n: 1199 });
    expect(all[1200]).toEqual({ k: 'bulk_defaults', v: null, n: 0 });
    await db.delete('kv_t', {});
  });

  it('bulk-replaces rows by primary key (the dialog shutdown flush)', async () => {
    await db.insert('kv_t', { k: 'r0000', v: 'old', n: 1 });
    const rows = Array.from({ length: 1200 }, (_, i) => ({ k: `r${String(i).padStart(4, '0')}`, v: `v${i}`, n: i }));
    await db.replaceMany('kv_t', rows);
    const all = await db.select('kv_t', undefined, { orderBy: 'k' });
    expect(all).toHaveLength(1200);
    expect(all[0]).toEqual({ k: 'r0000', v: 'v0', n: 0 });
    expect(all[1199]).toEqual({ k: 'r1199', v: 'v1199', n: 1199 });
    await db.delete('kv_t', {});
  });

  it('selects with where, order and limit', async () => {
    await db.insertMany('kv_t', [
      { k: 'x1', v: 'same', n: 5 },
      { k: 'x2', v: 'same', n: 9 },
      { k: 'x3', v: 'same', n: 1 },
      { k: 'x4', v: 'other', n: 7 },
    ]);
    const rows = await db.select('kv_t', { v: 'same' }, { orderBy: 'n DESC', limit: 2, columns: ['k', 'n'] });
    expect(rows).toEqual([
      { k: 'x2', n: 9 },
      { k: 'x1', n: 5 },
    ]);
    expect(await db.select('kv_t', { v: 'same', n: 1 })).toEqual([{ k: 'x3', v: 'same', n: 1 }]);
    expect(await db.select('kv_t', undefined, { orderBy: 'n', limit: 1, columns: ['k'] })).toEqual([{ k: 'x3' }]);
    expect(await db.select('kv_t', undefined, { limit: 0 })).toEqual([]);
    await db.delete('kv_t', {});
  });

  it('round-trips BLOBs byte for byte, TEXT, DATETIME and auto-increment keys', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await db.insert('location_t', {
      username: 'alice',
      contact: 'sip:alice@192.0.2.1:5060',
      attr: bytes,
      notes: 'línea ☎ unicode',
      last_modified: '2024-02-29 13:14:15',
    });
    await db.insert('location_t', { username: 'bob', contact: 'sip:bob@192.0.2.2' });
    const rows = await db.select('location_t', undefined, { orderBy: 'contact_id' });
    expect(rows).toHaveLength(2);
    const alice = rows[0]!;
    expect(Buffer.isBuffer(alice['attr'])).toBe(true);
    expect((alice['attr'] as Buffer).equals(bytes)).toBe(true);
    expect(alice['notes']).toBe('línea ☎ unicode');
    expect(alice['last_modified']).toBe('2024-02-29 13:14:15');
    expect(alice['contact_id']).toBe(1);
    expect(rows[1]).toMatchObject({ contact_id: 2, expires: 0, q: 10, attr: null, last_modified: '1900-01-01 00:00:01' });
    expect(await db.select('location_t', { attr: bytes }, { columns: ['username'] })).toEqual([{ username: 'alice' }]);
  });
});

async function rawQuery(sql: string): Promise<[unknown]> {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
  try {
    const [rows] = await c.query(sql);
    return [rows];
  } finally {
    await c.end();
  }
}
