/** The module instance: the entity engine, the UA sessions on top, and the core hook that routes in-dialog requests to them. */
import type { ModuleContext } from '@core/sip';
import { B2bEngine } from './engine.js';
import { onRequestIn } from './in-dialog.js';
import type { b2bParams } from './params.js';
import { UA_MOD_NAME, UaSessions } from './ua-session.js';
import { EntityStore, rowEntity } from './storage.js';
import { b2bEntitiesSchema } from './schema.js';
import { B2bState } from './state.js';
import { b2bErrors } from './errors.js';
import { EntityReplication } from './replication.js';
import type { Entity } from './entity.js';

export class B2bModule {
  constructor(
    readonly engine: B2bEngine,
    readonly ua: UaSessions,
  ) {}

  store: EntityStore | undefined = undefined;
  repl: EntityReplication | undefined = undefined;

  static async create(ctx: ModuleContext<typeof b2bParams>): Promise<B2bModule> {
    const p = ctx.params;
    const engine = new B2bEngine(
      {
        serverHsize: p.server_hsize,
        clientHsize: p.client_hsize,
        keyPrefix: p.b2b_key_prefix,
        scriptReqRoute: p.script_req_route,
        scriptReplyRoute: p.script_reply_route,
        passthruPrack: p.passthru_prack === 1,
      },
      ctx.api('tm'),
      ctx.core,
      ctx.log,
    );
    for (const r of [p.script_req_route, p.script_reply_route]) {
      if (r !== undefined && ctx.core.routes.route?.[r] === undefined) {
        throw b2bErrors.arg('b2b_entities', `route "${r}" (script_req_route / script_reply_route) is not defined in routes.route`);
      }
    }
    engine.uacAuth = ctx.apiOptional('uac_auth');
    const ua = new UaSessions(engine, ctx.events, ctx.log, p.ua_default_timeout, p.advertised_contact);
    ctx.core.hooks.onRequestIn((msg, rinfo) => onRequestIn(engine, msg, rinfo));
    const m = new B2bModule(engine, ua);
    if (p.cluster_id > 0) {
      m.repl = new EntityReplication(
        engine,
        p.cluster_id,
        (e) => m.#adopt(e),
        (e) => (ua.has(e.key) ? ua.dropReplicated(e.key) : engine.delete(e)),
      );
      m.repl.register(ctx.api('clusterer'));
      engine.sinks.push(m.repl);
    }
    m.store = await EntityStore.open(ctx as unknown as ModuleContext, p, b2bEntitiesSchema(p.db_table));
    if (m.store !== undefined) engine.sinks.push(m.store);
    return m;
  }

  /** Loads the stored entities: UA sessions resume, the other owners are told (restore_logic_info). */
  async start(): Promise<void> {
    await this.#load();
    await this.repl?.sync();
  }

  /** An entity that came from another node: its UA session or owner takes it. */
  #adopt(ent: Entity): void {
    if (ent.modName === UA_MOD_NAME) {
      this.ua.restore(ent, false);
      return;
    }
    this.#tellOwners(ent);
  }

  #tellOwners(ent: Entity): void {
    for (const cb of this.engine.restoredCbs) {
      try {
        cb(ent.type, ent.key, ent.modName, ent.logicKey);
      } catch (err) {
        this.engine.log.error({ err, key: ent.key }, 'b2b onRestored callback failed');
      }
    }
  }

  async #load(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const e = this.engine;
    let loaded = 0;
    for (const row of await store.load()) {
      const ent = rowEntity(e, row);
      if (ent === undefined) continue;
      if (ent.state === B2bState.TERMINATED || ent.state === B2bState.DESTROYED || e.get(ent.type, ent.key) !== undefined) {
        store.deleted(ent);
        continue;
      }
      e.tables.of(ent.type).add(ent);
      e.keys.seen(ent.key);
      loaded++;
      if (ent.modName === UA_MOD_NAME) {
        if (!this.ua.restore(ent)) e.delete(ent);
        continue;
      }
      this.#tellOwners(ent);
    }
    if (loaded > 0) e.log.info({ entities: loaded }, 'b2b_entities: entities loaded from storage');
    store.start();
  }

  async stop(): Promise<void> {
    this.ua.stop();
    await this.store?.stop();
  }
}
