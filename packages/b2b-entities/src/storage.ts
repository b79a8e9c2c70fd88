/**
 * Persistence of entities (db_mode 1 realtime, 2 write-back every update_period) in the `b2b_entities`
 * table of db_url, or as JSON values under cachedb_key_prefix in cachedb_url (Redis). At start the stored
 * entities are loaded back: UA sessions resume, other owners get `onRestored` to call restore_logic_info.
 */
import { numberOf, textOf, type CacheDb, type Db, type DbRow, type ModuleContext } from '@core/sip';
import type { B2bEngine, EntitySink } from './engine.js';
import { Entity } from './entity.js';
import { b2bErrors } from './errors.js';
import { B2B_CLIENT, B2B_SERVER, B2bState, DB_FLAG, methodId, methodName, type B2bEntityType, type B2bStateValue } from './state.js';

/** What the storage blob keeps beyond OpenSIPS's columns. */
interface Extra {
  remoteTarget: string;
  answered: boolean;
  inviteReplied: number;
  autoAck: boolean;
  owner: Record<string, unknown> | undefined;
}

export function entityRow(e: Entity): DbRow {
  const extra: Extra = { remoteTarget: e.remoteTarget, answered: e.answered, inviteReplied: e.inviteReplied, autoAck: e.autoAck, owner: e.ownerData };
  return {
    type: e.type,
    state: e.state,
    ruri: e.ruri,
    from_uri: e.fromUri,
    to_uri: e.toUri,
    from_dname: e.fromDname,
    to_dname: e.toDname,
    tag0: e.fromTag,
    tag1: e.toTag,
    callid: e.callid,
    cseq0: e.cseq[0],
    cseq1: e.cseq[1],
    contact0: e.contact[0],
    contact1: e.contact[1],
    route0: e.routeSet.join('\n'),
    route1: null,
    sockinfo_srv: e.sendSock,
    param: e.logicKey,
    mod_name: e.modName,
    storage: Buffer.from(JSON.stringify(extra), 'utf8'),
    lm: methodId(e.lastMethod),
    lrc: e.lastReplyCode,
    lic: e.lastInviteCseq,
    leg_cseq: null,
    leg_route: null,
    leg_tag: null,
    leg_contact: null,
    leg_sockinfo: null,
  };
}

export function rowEntity(engine: B2bEngine, row: DbRow): Entity | undefined {
  const type = numberOf(row['type']) === B2B_CLIENT ? B2B_CLIENT : B2B_SERVER;
  const callid = textOf(row['callid']);
  const key = type === B2B_SERVER ? textOf(row['tag1']) : callid;
  const hashIndex = engine.keys.hashIndexOf(key);
  if (hashIndex < 0 || hashIndex >= engine.tables.of(type).buckets) return undefined; // another prefix or table size
  let extra: Partial<Extra> = {};
  try {
    extra = JSON.parse(textOf(row['storage']) || '{}') as Partial<Extra>;
  } catch {
    // an unreadable blob: the columns are enough to go on
  }
  const routes = textOf(row['route0']);
  const e = new Entity({
    type,
    key,
    hashIndex,
    callid,
    fromUri: textOf(row['from_uri']),
    fromDname: textOf(row['from_dname']),
    fromTag: textOf(row['tag0']),
    toUri: textOf(row['to_uri']),
    toDname: textOf(row['to_dname']),
    toTag: textOf(row['tag1']),
    ruri: textOf(row['ruri']),
    cseqCaller: numberOf(row['cseq0']),
    cseqCallee: numberOf(row['cseq1']),
    contactCaller: textOf(row['contact0']),
    contactCallee: textOf(row['contact1']),
    routeSet: routes === '' ? [] : routes.split('\n'),
    remoteTarget: extra.remoteTarget ?? textOf(row[type === B2B_SERVER ? 'contact0' : 'contact1']),
    sendSock: textOf(row['sockinfo_srv']),
    modName: textOf(row['mod_name']),
    logicKey: textOf(row['param']),
  });
  e.state = numberOf(row['state']) as B2bStateValue;
  e.lastMethod = methodName(numberOf(row['lm']));
  e.lastReplyCode = numberOf(row['lrc']);
  e.lastInviteCseq = numberOf(row['lic']);
  e.answered = extra.answered ?? e.state >= B2bState.CONFIRMED;
  e.inviteReplied = extra.inviteReplied ?? 0;
  e.autoAck = extra.autoAck ?? true;
  e.ownerData = extra.owner;
  e.dbFlag = DB_FLAG.NO_UPDATE;
  return e;
}

interface Backend {
  write(e: Entity): Promise<void>;
  remove(type: B2bEntityType, callid: string, tag0: string, key: string): Promise<void>;
  loadAll(): Promise<DbRow[]>;
  close(): Promise<void>;
}

function dbBackend(db: Db, table: string): Backend {
  return {
    async write(e) {
      const row = entityRow(e);
      const where = { type: e.type, callid: e.callid, tag0: e.fromTag };
      if ((await db.update(table, where, row)) === 0) await db.insert(table, row);
    },
    async remove(type, callid, tag0) {
      await db.delete(table, { type, callid, tag0 });
    },
    loadAll: () => db.select(table),
    close: () => db.close(),
  };
}

function cacheBackend(c: CacheDb, prefix: string): Backend {
  const k = (type: number, key: string) => `${prefix}${type}$${key}`;
  return {
    async write(e) {
      const row = entityRow(e);
      await c.set(k(e.type, e.key), JSON.stringify({ ...row, storage: textOf(row['storage']) }));
    },
    async remove(type, _callid, _tag0, key) {
      await c.remove(k(type, key));
    },
    async loadAll() {
      const all = await c.getByPrefix(prefix);
      const rows: DbRow[] = [];
      for (const v of all.values()) {
        try {
          rows.push(JSON.parse(v) as DbRow);
        } catch {
          // not one of ours
        }
      }
      return rows;
    },
    close: () => c.close(),
  };
}

export class EntityStore implements EntitySink {
  readonly #dirty = new Set<Entity>();
  readonly #gone: Entity[] = [];
  /** Writes in order, one at a time, so a delete never overtakes the write before it. */
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;

  private constructor(
    readonly mode: 1 | 2,
    readonly backend: Backend,
    readonly log: ModuleContext['log'],
    readonly periodS: number,
  ) {}

  /** The store for the params, or undefined when nothing is stored (db_mode 0, or no URL). */
  static async open(
    ctx: ModuleContext,
    p: { db_mode: number; db_url?: string; cachedb_url?: string; cachedb_key_prefix: string; db_table: string; update_period: number },
    schema: Parameters<Db['ensureTable']>[0],
  ): Promise<EntityStore | undefined> {
    if (p.db_mode === 0) return undefined;
    const mode = p.db_mode === 1 ? 1 : 2;
    try {
      if (p.cachedb_url !== undefined && p.cachedb_url !== '') {
        return new EntityStore(mode, cacheBackend(await ctx.cachedb(p.cachedb_url), p.cachedb_key_prefix), ctx.log, p.update_period);
      }
      if (p.db_url === undefined || p.db_url === '') return undefined;
      const db = await ctx.db(p.db_url);
      await db.ensureTable(schema);
      return new EntityStore(mode, dbBackend(db, p.db_table), ctx.log, p.update_period);
    } catch (err) {
      throw b2bErrors.storage(`db_mode=${p.db_mode} cannot open its storage`, err);
    }
  }

  changed(e: Entity): void {
    if (this.mode === 2) {
      this.#dirty.add(e);
      return;
    }
    this.#queue(() => this.backend.write(e), e);
    e.dbFlag = DB_FLAG.NO_UPDATE;
  }

  deleted(e: Entity): void {
    this.#dirty.delete(e);
    if (this.mode === 2) {
      this.#gone.push(e);
      return;
    }
    this.#queue(() => this.backend.remove(e.type, e.callid, e.fromTag, e.key), e);
  }

  async load(): Promise<DbRow[]> {
    return this.backend.loadAll();
  }

  start(): void {
    if (this.mode !== 2) return;
    this.#timer = setInterval(() => void this.flush(), this.periodS * 1000);
    this.#timer.unref();
  }

  /** Write-back: every changed entity written, every deleted one removed. */
  flush(): Promise<void> {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    const gone = this.#gone.splice(0);
    for (const e of dirty) {
      e.dbFlag = DB_FLAG.NO_UPDATE;
      this.#queue(() => this.backend.write(e), e);
    }
    for (const e of gone) this.#queue(() => this.backend.remove(e.type, e.callid, e.fromTag, e.key), e);
    return this.#chain;
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.flush();
    await this.backend.close();
  }

  #queue(op: () => Promise<void>, e: Entity): void {
    this.#chain = this.#chain.then(op).catch((err: unknown) => this.log.error({ err, key: e.key }, 'b2b_entities: storage write failed'));
  }
}
