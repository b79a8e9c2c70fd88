/**
 * MysqlDb: the DB API (`db_url`) on a mysql2 pool. Single-row statements are prepared (cached per
 * connection by mysql2); bulk inserts are escaped client-side so row counts do not multiply prepared
 * statements. Every operation rides out a server outage: writes wait and retry for `writeRetryMs`,
 * reads get `maxDbQueries` attempts, and both wait at one outage gate while a probe reconnects.
 */
import { performance } from 'node:perf_hooks';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db, DbRow, DbSelectOptions, DbValue, DbWhere, TableSchema } from '@core/sip';
import { errors } from './errors.js';
import { connectionFailure } from './failures.js';
import { standaloneLogger as defaultLog, type DriverLog } from '@core/sip';
import { DEFAULT_MYSQL_OPTIONS, type MysqlOptions } from './options.js';
import { OutageGate } from './outage.js';
import { createTableSql, VERSION_TABLE_SQL } from './schema.js';
import { bulkInsertSql, bulkReplaceSql, deleteSql, insertSql, selectSql, updateSql } from './sql.js';
import { parseMysqlUrl } from './url.js';

type Kind = 'read' | 'write';

/** Rows per multi-row INSERT: well under max_allowed_packet for typical rows. */
const BULK_CHUNK = 500;

export class MysqlDb implements Db {
  readonly url: string;
  private readonly log: DriverLog;
  private readonly gate: OutageGate;
  private closed = false;
  private versionTableReady = false;

  private constructor(
    private readonly pool: Pool,
    maskedUrl: string,
    private readonly opts: MysqlOptions,
  ) {
    this.url = maskedUrl;
    this.log = opts.log ?? defaultLog('db_mysql');
    this.gate = new OutageGate({
      backoffMs: opts.reconnectBackoffMs,
      backoffMaxMs: opts.reconnectBackoffMaxMs,
      url: this.url,
      log: this.log,
      probe: async () => {
        await this.pool.query('SELECT 1');
      },
    });
  }

  /**
   * Opens a pool for `url` and checks it with one connection, so a wrong URL, wrong credentials, an
   * unknown database or an unreachable server fail here, at start, with the server's reason.
   */
  static async open(url: string, options: Partial<MysqlOptions> = {}): Promise<MysqlDb> {
    const target = parseMysqlUrl(url);
    const opts: MysqlOptions = { ...DEFAULT_MYSQL_OPTIONS, ...options };
    // mysql2 is loaded by the first open, not with the module: a server without a db_url never pays for it.
    const { createPool } = await import('mysql2/promise');
    const pool = createPool({
      host: target.host,
      port: target.port,
      ...(target.user !== undefined ? { user: target.user } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      database: target.database,
      connectionLimit: opts.poolSize,
      connectTimeout: opts.connectTimeoutMs,
      waitForConnections: true,
      enableKeepAlive: true,
      // DATETIME as 'YYYY-MM-DD HH:MM:SS' text: DbValue has no Date, and no time zone games.
      dateStrings: true,
      charset: 'utf8mb4_unicode_ci',
    });
    // Errors of idle connections surface here; the failing statement reports them, so only swallow.
    pool.on('connection', (conn) => conn.on('error', () => undefined));
    try {
      const conn = await pool.getConnection();
      try {
        await conn.ping();
      } finally {
        conn.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw errors.connect(target.masked, err);
    }
    return new MysqlDb(pool, target.masked, opts);
  }

  async insert(table: string, row: DbRow): Promise<void> {
    const cols = Object.keys(row);
    const sql = insertSql('INSERT', table, cols);
    const values = cols.map((c) => row[c] ?? null);
    await this.run('insert', table, 'write', async (maybeApplied) => {
      try {
        await this.pool.execute(sql, values);
      } catch (err) {
        if (!this.appliedBefore(err, maybeApplied, table)) throw err;
      }
    });
  }

  async insertMany(table: string, rows: readonly DbRow[]): Promise<void> {
    for (const g of byColumnSet(rows)) {
      const sql = bulkInsertSql(table, g.cols);
      for (let i = 0; i < g.rows.length; i += BULK_CHUNK) {
        const chunk = g.rows.slice(i, i + BULK_CHUNK);
        await this.run('insertMany', table, 'write', async (maybeApplied) => {
          try {
            await this.pool.query(sql, [chunk]);
          } catch (err) {
            if (!this.appliedBefore(err, maybeApplied, table)) throw err;
          }
        });
      }
    }
  }

  /** REPLACE of many rows: one statement per column set and BULK_CHUNK rows (idempotent, so retried). */
  async replaceMany(table: string, rows: readonly DbRow[]): Promise<void> {
    for (const g of byColumnSet(rows)) {
      const sql = bulkReplaceSql(table, g.cols);
      for (let i = 0; i < g.rows.length; i += BULK_CHUNK) {
        const chunk = g.rows.slice(i, i + BULK_CHUNK);
        await this.run('replaceMany', table, 'write', async () => {
          await this.pool.query(sql, [chunk]);
        });
      }
    }
  }

  async replace(table: string, row: DbRow): Promise<void> {
    const cols = Object.keys(row);
    const sql = insertSql('REPLACE', table, cols);
    const values = cols.map((c) => row[c] ?? null);
    await this.run('replace', table, 'write', async () => {
      await this.pool.execute(sql, values);
    });
  }

  async update(table: string, where: DbWhere, set: DbRow): Promise<number> {
    if (Object.keys(set).length === 0) return 0;
    const { sql, values } = updateSql(table, where, set);
    return this.run('update', table, 'write', async () => {
      const [res] = await this.pool.execute<ResultSetHeader>(sql, values);
      return res.affectedRows;
    });
  }

  async delete(table: string, where: DbWhere): Promise<number> {
    const { sql, values } = deleteSql(table, where);
    return this.run('delete', table, 'write', async () => {
      const [res] = await this.pool.execute<ResultSetHeader>(sql, values);
      return res.affectedRows;
    });
  }

  async select(table: string, where?: DbWhere, opts?: DbSelectOptions): Promise<DbRow[]> {
    const { sql, values } = selectSql(table, where, opts);
    return this.run('select', table, 'read', async () => {
      const [rows] = await this.pool.execute<RowDataPacket[]>(sql, values);
      // With dateStrings and no JSON columns in our schemas, every value is a DbValue.
      return rows;
    });
  }

  async ensureTable(schema: TableSchema): Promise<void> {
    await this.ensureTableStatus(schema);
  }

  /**
   * Creates the table when missing and records its version in `version`; refuses a table whose
   * recorded version differs from the schema's. Says whether the table was created or already there.
   */
  async ensureTableStatus(schema: TableSchema): Promise<'created' | 'exists'> {
    const ddl = createTableSql(schema); // checks the names before anything is sent
    return this.run('ensureTable', schema.name, 'read', async () => {
      if (!this.versionTableReady) {
        await this.pool.query(VERSION_TABLE_SQL);
        this.versionTableReady = true;
      }
      const [found] = await this.pool.execute<RowDataPacket[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [
        schema.name,
      ]);
      const existed = found.length > 0;
      if (!existed) await this.pool.query(ddl);
      const [ver] = await this.pool.execute<RowDataPacket[]>('SELECT `table_version` FROM `version` WHERE `table_name` = ?', [schema.name]);
      const recorded: unknown = ver[0]?.['table_version'];
      if (recorded === undefined) {
        if (existed) this.log.warn({ table: schema.name, version: schema.version }, 'db_mysql: table had no row in "version"; recording it');
        await this.pool.execute('INSERT IGNORE INTO `version` (`table_name`, `table_version`) VALUES (?, ?)', [schema.name, schema.version]);
      } else if (Number(recorded) !== schema.version) {
        throw errors.tableVersion(schema.name, Number(recorded), schema.version);
      }
      return existed ? 'exists' : 'created';
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.close();
    await this.pool.end().catch(() => undefined);
  }

  /**
   * A duplicate key on the retry of an insert whose first attempt was cut off mid-flight means the
   * first attempt committed before the connection died: the row is there, so the insert succeeded.
   */
  private appliedBefore(err: unknown, maybeApplied: boolean, table: string): boolean {
    if (!maybeApplied || (err as { code?: unknown } | null)?.code !== 'ER_DUP_ENTRY') return false;
    this.log.warn({ table, url: this.url }, 'db_mysql: insert retried after a lost connection was already applied');
    return true;
  }

  /**
   * Runs one statement with the outage policy. `attempt` gets whether an earlier attempt may have been
   * applied (the connection died after sending it).
   */
  private async run<T>(op: string, table: string, kind: Kind, attempt: (maybeApplied: boolean) => Promise<T>): Promise<T> {
    const started = Date.now();
    let tries = 0;
    let maybeApplied = false;
    let lastErr: unknown;
    for (;;) {
      if (this.closed) throw errors.closed(this.url);
      if (this.gate.down) {
        const budget = kind === 'write' ? this.opts.writeRetryMs - (Date.now() - started) : this.opts.connectTimeoutMs;
        const back = await this.gate.wait(budget);
        if (this.closed) throw errors.closed(this.url);
        if (!back && kind === 'write') throw errors.unavailable(this.url, op, table, Date.now() - started, lastErr ?? this.gate.cause);
      }
      const t0 = this.opts.execQueryThresholdUs > 0 ? performance.now() : 0;
      try {
        const result = await attempt(maybeApplied);
        if (t0 > 0) this.checkSlow(op, table, t0);
        return result;
      } catch (err) {
        const failure = connectionFailure(err);
        if (failure === undefined) {
          if (err instanceof Error && err.name === 'MysqlError') throw err;
          throw errors.query(op, table, err);
        }
        lastErr = err;
        if (failure === 'lost') maybeApplied = true;
        tries++;
        this.gate.enter(err);
        const spent = Date.now() - started;
        if (kind === 'read' ? tries >= this.opts.maxDbQueries : spent >= this.opts.writeRetryMs) {
          throw errors.unavailable(this.url, op, table, spent, err);
        }
      }
    }
  }

  private checkSlow(op: string, table: string, t0: number): void {
    const us = (performance.now() - t0) * 1000;
    if (us > this.opts.execQueryThresholdUs) {
      this.log.warn({ op, table, us: Math.round(us), thresholdUs: this.opts.execQueryThresholdUs }, 'db_mysql: slow query');
    }
  }
}

/** Rows may carry different column sets (defaults left out): one group per set, rows in order, for one statement each. */
function byColumnSet(rows: readonly DbRow[]): IterableIterator<{ cols: string[]; rows: DbValue[][] }> {
  const groups = new Map<string, { cols: string[]; rows: DbValue[][] }>();
  for (const row of rows) {
    const cols = Object.keys(row);
    const key = cols.join('\0');
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { cols, rows: [] }));
    g.rows.push(cols.map((c) => row[c] ?? null));
  }
  return groups.values();
}
