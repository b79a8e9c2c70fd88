/**
 * The module's state: the table, the engine, the timer, and the rows in storage (db_url, or the in-memory DB
 * MI reg_upsert writes to). Loading, reload and the MI writes live here; the state machine in engine.ts.
 */
import type { Db, DbRow, ModuleContext } from '@core/sip';
import { BucketTimer } from './bucket-timer.js';
import { RegEngine } from './engine.js';
import { regErrors } from './errors.js';
import type { registrantParams } from './params.js';
import { keyOf, sameConfig, type RegConfig, type RegParams, type RegRecord } from './record.js';
import { configOfRow } from './rows.js';
import { columnsOf, registrantSchema, type Columns } from './schema.js';
import { RegTable } from './table.js';

type Ctx = ModuleContext<typeof registrantParams>;

/** How long shutdown waits for the un-REGISTERs. */
const STOP_WAIT_MS = 3000;

export class RegistrantModule {
  readonly table: RegTable;
  readonly engine: RegEngine;
  readonly timer: BucketTimer;
  readonly cols: Columns;

  private constructor(
    readonly p: RegParams,
    private readonly ctx: Ctx,
    readonly db: Db,
  ) {
    const buckets = 2 ** p.hash_size;
    this.table = new RegTable(buckets);
    this.cols = columnsOf(p);
    this.engine = new RegEngine(this.table, p, {
      tm: ctx.api('tm'),
      auth: ctx.api('uac_auth'),
      clusterer: p.enable_clustering === 1 ? ctx.apiOptional('clusterer') : undefined,
      events: ctx.events,
      log: ctx.log,
      stats: { registered: ctx.stats.gauge('registered'), failed: ctx.stats.gauge('failed'), pending: ctx.stats.gauge('pending') },
    });
    this.timer = new BucketTimer(p.timer_interval, buckets, (b) => this.engine.visit(b));
    this.engine.timer = this.timer;
  }

  static async create(ctx: Ctx): Promise<RegistrantModule> {
    const p = ctx.params;
    const buckets = 2 ** p.hash_size;
    if (p.timer_interval < buckets) throw regErrors.timerInterval(p.timer_interval, buckets);
    let db: Db;
    try {
      db = await ctx.db(p.db_url);
      await db.ensureTable(registrantSchema(p.table_name, columnsOf(p)));
    } catch (err) {
      throw regErrors.dbOpen(p.db_url, err);
    }
    return new RegistrantModule(p, ctx, db);
  }

  async start(): Promise<void> {
    const rows = await this.#select();
    for (const cfg of this.#configs(rows)) {
      this.#checkSocket(cfg, true);
      this.engine.add(this.table.create(cfg));
    }
    this.ctx.log.info({ registrants: this.table.count, buckets: this.table.size, stepSec: this.timer.stepSec }, 'registrants loaded');
    this.timer.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop(STOP_WAIT_MS);
  }

  /** Rows → configs; a bad row is logged (naming row and column) and skipped. */
  #configs(rows: readonly DbRow[]): RegConfig[] {
    const out: RegConfig[] = [];
    for (const row of rows) {
      const r = configOfRow(row, this.cols, this.p.default_expires);
      if (r.ok) out.push(r.cfg);
      else this.ctx.log.error(`${r.reason}; row skipped`);
    }
    return out;
  }

  async #select(where?: DbRow): Promise<DbRow[]> {
    try {
      return await this.db.select(this.p.table_name, where);
    } catch (err) {
      throw regErrors.dbLoad(this.p.table_name, err);
    }
  }

  /** A forced socket must be a listen socket: at start an error, later (reload, MI) a rejected row. */
  #checkSocket(cfg: RegConfig, atStart: boolean): boolean {
    if (cfg.forcedSocket === '') return true;
    const names = this.ctx.core.transport.sockets.map((s) => s.name);
    if (names.includes(cfg.forcedSocket)) return true;
    const err = regErrors.forcedSocket(cfg.aor, cfg.forcedSocket, names);
    if (atStart) throw err;
    this.ctx.log.error(`${err.message}; row skipped`);
    return false;
  }

  /**
   * reg_reload: the table becomes the rows now in storage. Unchanged rows keep their record (Call-ID, CSeq,
   * state: nothing is sent for them, #3659); a changed row un-registers the old binding and registers the new
   * one at its next bucket visit; a removed row is un-registered. With `key`, only that record is reloaded.
   */
  async reload(key?: { aor: string; binding: string; registrar: string }): Promise<{ added: number; changed: number; removed: number; kept: number }> {
    const where = key === undefined ? undefined : { [this.cols.aor]: key.aor, [this.cols.binding_URI]: key.binding, [this.cols.registrar]: key.registrar };
    const cfgs = this.#configs(await this.#select(where)).filter((c) => this.#checkSocket(c, false));
    const fresh = new Map<string, RegConfig>();
    for (const c of cfgs) fresh.set(keyOf(c.aor, c.binding, c.registrar), c);
    const old =
      key === undefined ? this.table.all() : this.table.all().filter((r) => r.cfg.aor === key.aor && r.cfg.binding === key.binding && r.cfg.registrar === key.registrar);
    const n = { added: 0, changed: 0, removed: 0, kept: 0 };
    const unregs: Promise<void>[] = [];
    for (const r of old) {
      const c = fresh.get(r.key);
      if (c === undefined) n.removed++;
      else if (sameConfig(r.cfg, c)) {
        n.kept++;
        fresh.delete(r.key);
        this.#applyEnabled(r, c);
        continue;
      } else n.changed++;
      unregs.push(this.engine.remove(r, true));
    }
    n.added = fresh.size - n.changed;
    // The new binding only after the old one is gone: an un-REGISTER of the same Contact that reached the
    // registrar after the new REGISTER would remove the new binding.
    await Promise.allSettled(unregs);
    for (const c of fresh.values()) if (this.table.get(keyOf(c.aor, c.binding, c.registrar)) === undefined) this.engine.add(this.table.create(c));
    return n;
  }

  /** An unchanged row whose state column changed: enable or disable the kept record. */
  #applyEnabled(r: RegRecord, c: RegConfig): void {
    if (r.cfg.enabled === c.enabled) {
      r.cfg = c;
      return;
    }
    r.cfg = c;
    if (c.enabled) {
      r.dueAt = 0;
      this.engine.registerNow(r);
    } else void this.engine.disable(r);
  }

  find(aor: string, binding: string, registrar: string): RegRecord | undefined {
    return this.table.get(keyOf(aor, binding, registrar));
  }

  /** reg_enable / reg_disable: the state column is written, then the record acts on it. */
  async setEnabled(r: RegRecord, enabled: boolean): Promise<void> {
    await this.db.update(this.p.table_name, this.#where(r.cfg), { [this.cols.state]: enabled ? 0 : 1 });
    const was = r.cfg.enabled;
    r.cfg = { ...r.cfg, enabled };
    if (was === enabled) return;
    if (enabled) {
      r.dueAt = 0;
      r.failures = 0;
      this.engine.registerNow(r);
    } else await this.engine.disable(r);
  }

  /**
   * reg_upsert: inserts or updates the row and the record. A new or changed registration is sent at the next
   * visit of its bucket (a changed one un-registers its old binding first); an unchanged one is left alone.
   */
  async upsert(row: DbRow): Promise<'inserted' | 'updated' | 'unchanged'> {
    const r = configOfRow(row, this.cols, this.p.default_expires);
    if (!r.ok) throw new Error(r.reason);
    if (!this.#checkSocket(r.cfg, false)) throw new Error(`forced_socket "${r.cfg.forcedSocket}" is not a listen socket`);
    const where = this.#where(r.cfg);
    const have = await this.#select(where);
    if (have.length === 0) await this.db.insert(this.p.table_name, row);
    else await this.db.update(this.p.table_name, where, row);
    const stored = (await this.#select(where))[0] ?? row;
    const stCfg = configOfRow(stored, this.cols, this.p.default_expires);
    const cfg = stCfg.ok ? stCfg.cfg : r.cfg;
    const old = this.find(cfg.aor, cfg.binding, cfg.registrar);
    if (old !== undefined && sameConfig(old.cfg, cfg)) {
      this.#applyEnabled(old, cfg);
      return 'unchanged';
    }
    if (old !== undefined) await this.engine.remove(old, true);
    this.engine.add(this.table.create(cfg));
    return have.length === 0 ? 'inserted' : 'updated';
  }

  /** reg_delete: un-registers, then removes the row and the record. */
  async delete(r: RegRecord): Promise<void> {
    await this.engine.remove(r, true);
    await this.db.delete(this.p.table_name, this.#where(r.cfg));
  }

  #where(c: RegConfig): DbRow {
    return { [this.cols.aor]: c.aor, [this.cols.binding_URI]: c.binding, [this.cols.registrar]: c.registrar };
  }
}
