/** The dialog module's state: the engine plus storage, built in init, started and stopped by the loader. */
import { hostname } from 'node:os';
import type { CacheDb, Db, ModuleContext, ParamsOf } from '@core/sip';
import { DialogEngine } from './engine.js';
import { DlgStore, dlgOfRow } from './db.js';
import { dialogSchema } from './schema.js';
import { type dialogParams } from './params.js';
import { parseProfileDefs, parseProfilesColumn, type DlgProfile } from './profiles.js';
import { dlgErrors } from './errors.js';
import { parseHeaderLines } from './sip-util.js';
import type { Dlg } from './dialog.js';
import { DlgReplication } from './replication.js';
import { ProfileReplication } from './profile-replication.js';
import { DLGCB } from './callbacks.js';

type Params = ParamsOf<typeof dialogParams>;

export class DialogModule {
  store: DlgStore | null = null;
  /** Dialog clustering, when dialog_replication_cluster is set. */
  replication: DlgReplication | null = null;
  /** Profile count replication, when profile_replication_cluster is set. */
  profileReplication: ProfileReplication | null = null;
  #cache: CacheDb | null = null;
  #started = false;
  #opening: Promise<void> | null = null;
  #db: Db | null = null;

  constructor(
    readonly engine: DialogEngine,
    readonly params: Params,
    private readonly ctx: ModuleContext<typeof dialogParams>,
  ) {}

  static async create(ctx: ModuleContext<typeof dialogParams>): Promise<DialogModule> {
    const p = ctx.params;
    const tm = ctx.api('tm');
    const rr = ctx.api('rr');
    const msgSlot = ctx.core.registerSlot();
    const engine = new DialogEngine(
      {
        hashSize: p.hash_size,
        rrParam: p.rr_param.toLowerCase(),
        defaultTimeout: p.default_timeout,
        matchMode: p.dlg_match_mode,
        pingInterval: p.options_ping_interval,
        pingMaxFailures: p.options_ping_max_failures,
        reinvitePingInterval: p.reinvite_ping_interval,
        deleteDelayMs: p.delete_delay * 1000,
        extraHdrs: extraHdrsParam(p.dlg_extra_hdrs),
      },
      {
        log: ctx.log,
        tm,
        rr,
        events: ctx.events,
        msgSlot,
        dlgSlots: ctx.slots<Dlg>('dialog'),
        isMyself: (h, port) => ctx.core.isMyself(h, port),
        caught: (what, err, msg, fields) => ctx.core.caught(what, err, msg, fields),
        stats: {
          active: ctx.stats.gauge('active_dialogs'),
          early: ctx.stats.gauge('early_dialogs'),
          processed: ctx.stats.counter('processed_dialogs'),
          expired: ctx.stats.counter('expired_dialogs'),
          failed: ctx.stats.counter('failed_dialogs'),
        },
      },
    );
    for (const [param, hasValue] of [
      ['profiles_with_value', true],
      ['profiles_no_value', false],
    ] as const) {
      let defs;
      try {
        defs = parseProfileDefs(p[param], hasValue);
      } catch (err) {
        throw dlgErrors.profileParam(param, err);
      }
      checkSharing(p, defs, param);
      engine.profiles.add(defs);
    }
    tm.registerTmcb('TMCB_REQUEST_IN', (_type, params) => engine.onRequestIn(params));
    rr.registerRrCallback((rc, params) => engine.onLooseRoute(rc, params));
    ctx.core.hooks.onRequestDone((rc) => engine.onRequestDone(rc));
    const m = new DialogModule(engine, p, ctx);
    if (p.profile_replication_cluster > 0) {
      if (p.dialog_replication_cluster > 0) throw dlgErrors.bothReplications();
      m.profileReplication = new ProfileReplication(
        engine.profiles,
        ctx.api('clusterer'),
        p.profile_replication_cluster,
        { timerMs: p.replicate_profiles_timer, checkMs: p.replicate_profiles_check * 1000, expireMs: p.replicate_profiles_expire * 1000 },
        ctx.log,
        { sent: ctx.stats.counter('profile_repl_sent'), received: ctx.stats.counter('profile_repl_received') },
      );
    }
    if (p.dialog_replication_cluster > 0) {
      const clusterer = ctx.api('clusterer');
      const slots = ctx.slots<Dlg>('dialog');
      m.replication = new DlgReplication(
        engine,
        clusterer,
        p.dialog_replication_cluster,
        ctx.log,
        {
          sent: ctx.stats.counter('dlg_repl_sent'),
          received: ctx.stats.counter('dlg_repl_received'),
          errors: ctx.stats.counter('dlg_repl_errors'),
        },
        () => slots.create(),
      );
      engine.cluster = m.replication;
      const tag = p.dlg_sharing_tag;
      if (tag !== undefined) {
        clusterer.getShtagState(tag, p.dialog_replication_cluster); // follow its lease from the start
        engine.register(null, DLGCB.CREATED, (d) => {
          if (d.shtag === '') d.shtag = tag;
        });
      }
    }
    if (p.db_mode !== 0) {
      let db: Db;
      try {
        db = await ctx.db(p.db_url);
        await db.ensureTable(dialogSchema(p.table_name));
      } catch (err) {
        throw dlgErrors.dbOpen(p.db_mode, p.db_url, err);
      }
      m.#db = db;
      m.store = new DlgStore(db, p.table_name, p.db_mode, ctx.log, (d) => engine.saved(d));
      engine.store = m.store;
    }
    return m;
  }

  get log(): ModuleContext['log'] {
    return this.ctx.log;
  }

  /** A `/b` profile needs the cachedb it is shared through here (API add_profiles). */
  checkSharing(defs: readonly DlgProfile[]): void {
    checkSharing(this.params, defs, 'add_profiles');
  }

  /**
   * Shared profiles added after start through the API while no cachedb is open yet: opens it and starts
   * publishing (the counts set meanwhile are kept and published by the first write).
   */
  shareLate(): void {
    if (!this.#started || this.#cache !== null || this.#opening !== null) return;
    this.#opening = this.#share()
      .catch((err: unknown) => this.ctx.log.error({ err }, 'shared dialog profiles: cannot open cachedb_url'))
      .finally(() => {
        this.#opening = null;
      });
  }

  async #share(): Promise<void> {
    const p = this.params;
    let cache: CacheDb;
    try {
      cache = await this.ctx.cachedb(p.cachedb_url);
    } catch (err) {
      throw dlgErrors.cachedbOpen(p.cachedb_url, err);
    }
    this.#cache = cache;
    const node = p.profile_node_id ?? `${hostname()}/${this.ctx.core.transport.sockets[0]?.name ?? 'none'}`;
    this.engine.profiles.share(cache, node, p.profile_refresh_interval, {
      lookupTimeoutMs: Math.round(p.profile_lookup_timeout * 1000),
      stale: this.ctx.stats.counter('shared_profile_stale_reads'),
    });
    await this.engine.profiles.flush();
  }

  async start(): Promise<void> {
    const p = this.params;
    if (this.store !== null) {
      await this.loadFromDb(false);
      // db_mode 3: memory is the truth until the next shutdown writes it back.
      if (p.db_mode === 3) await this.store.clearTable();
      this.store.startPeriodic(p.db_update_period);
    }
    this.engine.startPinging();
    this.profileReplication?.start();
    // In the background: a lone first node waits seed_fallback_interval for a donor, SIP need not.
    this.replication?.sync().catch((err: unknown) => this.ctx.log.warn({ err }, 'dialog cluster sync failed'));
    // Opened at start, not init: modules that bind the dialog API add their profiles in their own init.
    if (this.engine.profiles.hasShared) await this.#share();
    this.#started = true;
  }

  /**
   * Loads the dialogs of the DB table that are not in memory (DLGCB_LOADED for each); with `refresh`, the
   * ones already in memory take the row's CSeqs, contacts, flags and values (dlg_db_sync). Returns how many
   * were loaded.
   */
  async loadFromDb(refresh: boolean): Promise<number> {
    const store = this.store;
    if (store === null) return 0;
    const rows = await store.load();
    let n = 0;
    for (const row of rows) {
      const r = dlgOfRow(row, this.ctx.slots<Dlg>('dialog').create());
      if (r === null) continue;
      const have = this.engine.table.get(r.dlg.hEntry, r.dlg.hId);
      if (have !== undefined) {
        if (refresh) refreshFrom(have, r.dlg);
        continue;
      }
      this.engine.linkLoaded(r.dlg, r.expiresSec, parseProfilesColumn(r.profiles));
      n++;
    }
    if (n > 0) this.ctx.log.info({ dialogs: n }, 'dialogs loaded from the DB');
    return n;
  }

  async stop(): Promise<void> {
    this.engine.stop();
    this.profileReplication?.stop();
    await this.#opening;
    if (this.store !== null) {
      // db_mode 3 writes every dialog, 2 what changed since the last period, 1 what a failed write left.
      const deadline = Date.now() + this.params.db_shutdown_timeout * 1000;
      this.store.stopPeriodic();
      const dialogs = this.params.db_mode === 3 ? [...this.engine.table.values()].filter((d) => d.confirmed) : this.store.pendingDialogs();
      const t0 = Date.now();
      const lost = await this.store.flushBulk(dialogs, deadline);
      this.ctx.log.info({ dialogs: dialogs.length - lost, lost, ms: Date.now() - t0 }, 'dialogs written to the DB at shutdown');
      await this.store.close();
    }
    await this.engine.profiles.close(this.store !== null);
    await this.#db?.close();
    await this.#cache?.close();
  }
}

function refreshFrom(d: Dlg, row: Dlg): void {
  d.callerCseq = Math.max(d.callerCseq, row.callerCseq);
  d.calleeCseq = Math.max(d.calleeCseq, row.calleeCseq);
  if (row.callerContact !== '') d.callerContact = row.callerContact;
  if (row.calleeContact !== '') d.calleeContact = row.calleeContact;
  d.scriptFlags = row.scriptFlags;
  if (row.vals !== null) d.vals = row.vals;
}

/**
 * OpenSIPS shares `/b` profiles over the clusterer's binary replication, `/s` ones through cachedb; tsips
 * shares both through cachedb_url, so a `/b` profile without one is a configuration error (an in-memory
 * cachedb would share nothing between servers, which a `/b` user does not expect). `/s` keeps OpenSIPS's
 * leniency: without cachedb_url it is shared within this process only.
 */
function checkSharing(p: Params, defs: readonly DlgProfile[], where: string): void {
  if (p.cachedb_url !== undefined && p.cachedb_url !== '') return;
  const b = defs.find((d) => d.sharing === 'b');
  if (b !== undefined) throw dlgErrors.binaryProfile(where, b.name);
}

function extraHdrsParam(s: string): [string, string][] {
  try {
    return parseHeaderLines(s);
  } catch (err) {
    throw dlgErrors.profileParam('dlg_extra_hdrs', err);
  }
}
