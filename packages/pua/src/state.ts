/** The pua module instance: engine, DB handle and write-back timer, built in init and started with the server. */
import type { Db, ModuleContext } from '@core/sip';
import { PuaEngine } from './engine.js';
import { puaErrors } from './errors.js';
import type { puaParams } from './params.js';
import { load, refreshAll, writeBack } from './persist.js';
import { refreshPublish } from './publish.js';
import { puaSchema } from './schema.js';
import { refreshSubscribe } from './subscribe.js';
import { consumeNotify } from './notify.js';

export class PuaModule {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly ctx: ModuleContext<typeof puaParams>,
    readonly engine: PuaEngine,
    readonly db: Db | undefined,
    readonly table: string,
  ) {}

  static async create(ctx: ModuleContext<typeof puaParams>): Promise<PuaModule> {
    const p = ctx.params;
    if (p.cluster_sharing_tag !== undefined && p.cluster_id === undefined) throw puaErrors.clusterTag();
    // Refused rather than ignored: an operator setting it expects failover of the refreshes (OpenSIPS #2249).
    if (p.cluster_id !== undefined) throw puaErrors.clusterNotYet(p.cluster_id);
    const engine = new PuaEngine(ctx.api('tm'), ctx.apiOptional('uac_auth'), ctx.core, ctx.log, {
      minExpires: p.min_expires,
      defaultExpires: p.default_expires,
      updatePeriod: p.update_period,
      sharingTag: p.cluster_sharing_tag ?? '',
    });
    engine.refreshPublish = (r) => refreshPublish(engine, r);
    engine.refreshSubscribe = (r) => refreshSubscribe(engine, r);
    let db: Db | undefined;
    if (p.db_url !== undefined) {
      try {
        db = await ctx.db(p.db_url);
        await db.ensureTable(puaSchema(p.db_table));
      } catch (err) {
        throw puaErrors.dbOpen(p.db_url, err);
      }
    }
    if (p.consume_notify === 1) ctx.core.hooks.onRequestIn((msg, rinfo) => consumeNotify(engine, msg, rinfo));
    return new PuaModule(ctx, engine, db, p.db_table);
  }

  async start(): Promise<void> {
    if (this.db === undefined) return;
    const live = await load(this.engine, this.db, this.table);
    if (live > 0) this.ctx.log.info({ records: live }, 'pua: records reloaded from the DB, refreshing them');
    refreshAll(this.engine);
    this.timer = setInterval(() => void this.flush(), this.ctx.params.update_period * 1000);
    this.timer.unref();
  }

  /** One write-back at a time; errors are reported and the dirty records retried at the next period. */
  flush(): Promise<unknown> {
    const db = this.db;
    if (db === undefined) return Promise.resolve();
    this.flushing = this.flushing.then(() => writeBack(this.engine, db, this.table)).catch((err: unknown) => this.ctx.core.caught('pua db write-back', err));
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.engine.stop();
    await this.flush();
  }
}
