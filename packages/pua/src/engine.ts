/**
 * The pua record table (OpenSIPS HashT): records by key and subscription dialogs by Call-ID + our tag,
 * the refresh timer of each record, the DB dirty set and the reply callbacks.
 */
import type { CoreServices, SipMessage } from '@core/sip';
import type { TmApi } from '@mod/tm';
import type { UacAuthApi } from '@mod/uac-auth';
import type { PuaCb, PuaFirstLine } from './api.js';
import { PuaEvents } from './events.js';
import type { UaPres } from './record.js';

export interface PuaConfig {
  readonly minExpires: number;
  readonly defaultExpires: number;
  readonly updatePeriod: number;
  readonly sharingTag: string;
}

/** How often the timer wheel looks for due records. */
const TICK_MS = 250;

/** What refreshes a record when its timer fires (publish.ts / subscribe.ts). */
export type Refresher = (rec: UaPres) => Promise<void>;

export class PuaEngine {
  readonly table = new Map<string, UaPres>();
  /** Subscription dialogs by `callId \0 our tag`. */
  readonly dialogs = new Map<string, UaPres>();
  readonly events = new PuaEvents();
  /** Ids of DB rows to delete at the next write-back. */
  readonly removed = new Set<number>();
  private readonly cbs: { types: number; cb: PuaCb; param: unknown }[] = [];
  private nextDbId = 1;
  private stopped = false;
  /** Records by the Unix second their timer is due. */
  private readonly wheel = new Map<number, Set<UaPres>>();
  private tick: NodeJS.Timeout | undefined;
  refreshPublish: Refresher = () => Promise.resolve();
  refreshSubscribe: Refresher = () => Promise.resolve();

  constructor(
    readonly tm: TmApi,
    readonly auth: UacAuthApi | undefined,
    readonly core: CoreServices,
    readonly log: CoreServices['log'],
    readonly cfg: PuaConfig,
    /** Unix seconds; injectable for tests. */
    readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Expires to ask for: default for a negative value, raised to min_expires when non-zero and lower. */
  expiresFor(asked: number): number {
    if (asked < 0) return this.cfg.defaultExpires;
    if (asked > 0 && asked < this.cfg.minExpires) return this.cfg.minExpires;
    return asked;
  }

  add(rec: UaPres): void {
    if (rec.sharingTag === '') rec.sharingTag = this.cfg.sharingTag;
    this.table.set(rec.key, rec);
    if (rec.dbId === 0) rec.dbId = this.nextDbId++;
  }

  /** The DB row id of a record (given at load, or new). */
  dbId(rec: UaPres): number {
    if (rec.dbId === 0) rec.dbId = this.nextDbId++;
    return rec.dbId;
  }

  adoptDbId(rec: UaPres, id: number): void {
    rec.dbId = id;
    if (id >= this.nextDbId) this.nextDbId = id + 1;
  }

  remove(rec: UaPres): void {
    if (this.table.get(rec.key) === rec) this.table.delete(rec.key);
    if (rec.callId !== '') this.dialogs.delete(`${rec.callId}\u0000${rec.fromTag}`);
    this.unschedule(rec);
    if (rec.dbId !== 0 && rec.dbState !== 'insert') this.removed.add(rec.dbId);
  }

  /**
   * An un-SUBSCRIBE was answered: the record leaves the table, but its dialog still takes the final
   * `terminated` NOTIFY (RFC 6665 4.1.2.3), for 32 s (64*T1) at most.
   */
  retire(rec: UaPres): void {
    const dkey = `${rec.callId}\u0000${rec.fromTag}`;
    this.remove(rec);
    this.dialogs.set(dkey, rec);
    setTimeout(() => {
      if (this.dialogs.get(dkey) === rec) this.dialogs.delete(dkey);
    }, 32_000).unref();
  }

  changed(rec: UaPres): void {
    if (rec.dbState === 'clean') rec.dbState = 'update';
  }

  /**
   * Arms the record's timer: a refresh `margin` before the granted expiry (update_period, at most half the
   * interval, as OpenSIPS refreshes what expires within update_period), or its removal once the desired
   * expiry is reached.
   */
  schedule(rec: UaPres): void {
    this.unschedule(rec);
    if (this.stopped) return;
    const now = this.now();
    const margin = Math.min(this.cfg.updatePeriod, Math.max(1, Math.floor(rec.interval / 2)));
    const ending = rec.desiredExpires > 0 && rec.desiredExpires <= rec.expires;
    const at = Math.max(now, Math.floor(ending ? rec.expires : rec.expires - margin));
    rec.due = at;
    let bucket = this.wheel.get(at);
    if (bucket === undefined) this.wheel.set(at, (bucket = new Set()));
    bucket.add(rec);
    if (this.tick === undefined) {
      this.tick = setInterval(() => this.onTick(), TICK_MS);
      this.tick.unref();
    }
  }

  private unschedule(rec: UaPres): void {
    if (rec.due === 0) return;
    const bucket = this.wheel.get(rec.due);
    bucket?.delete(rec);
    if (bucket?.size === 0) this.wheel.delete(rec.due);
    rec.due = 0;
  }

  /** Fires every record whose second has come (one timer for the table: a Timeout per record costs ~200 B). */
  private onTick(): void {
    const now = this.now();
    for (const [at, bucket] of this.wheel) {
      if (at > now) continue;
      this.wheel.delete(at);
      for (const rec of bucket) {
        rec.due = 0;
        this.fire(rec);
      }
    }
  }

  private fire(rec: UaPres): void {
    if (this.table.get(rec.key) !== rec) return;
    if (rec.desiredExpires > 0 && this.now() >= rec.desiredExpires) {
      this.log.debug({ pres_uri: rec.presUri }, 'pua record reached its desired expiry');
      this.remove(rec);
      return;
    }
    const run = rec.kind === 'publish' ? this.refreshPublish : this.refreshSubscribe;
    run(rec).catch((err: unknown) => this.core.caught('pua refresh', err, null, { pres_uri: rec.presUri }));
  }

  registerCb(types: number, cb: PuaCb, param: unknown): number {
    if (types === 0) return -1;
    this.cbs.push({ types, cb, param });
    return 0;
  }

  /** Runs the callbacks registered for the record's source flag; a throwing callback does not stop the others. */
  runCbs(rec: UaPres, fl: PuaFirstLine | undefined, notify?: SipMessage): void {
    for (const c of this.cbs) {
      if ((c.types & rec.flag) === 0) continue;
      try {
        c.cb(rec, fl, c.param, notify);
      } catch (err) {
        this.core.caught('pua callback', err, notify ?? null);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.tick);
    this.tick = undefined;
    this.wheel.clear();
  }
}
