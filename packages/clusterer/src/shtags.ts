/**
 * Sharing tags: one active owner per tag and cluster, held as a lease in Redis (`SET key node NX PX`).
 *
 * - The owner renews its lease every heartbeat. It takes itself as active only until `leaseUntil`,
 *   computed from the time the renewal was *sent*, less a margin: if renewals stop getting through
 *   (Redis away, a partition) it steps down before the key can expire in Redis, so no backup can hold
 *   the tag while it still acts as active.
 * - A backup tries to take a vacant lease every heartbeat. After Redis comes back (it may have lost
 *   every key) backups wait one lease time first: by then any owner that lost contact has stepped down.
 * - `clusterer_shtag_set_active` steals the lease atomically and tells the others on the notice channel;
 *   the former owner steps down on that notice, or at its next renewal at the latest.
 * A tag declared `active` claims a vacant lease at start; it never takes the tag from a live owner.
 */
import { eventChannel, shtagKey } from './keys.js';
import type { Envelope, Link } from './link.js';

export type ShtagState = 'active' | 'backup';
export type ShtagCallback = (newState: ShtagState) => void;

/** Renews our lease, or takes it again if it vanished (Redis restarted): 1 held, 0 another node has it. */
const RENEW = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Takes a vacant lease; returns the owner after the call (us when we got it). */
const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;
/** Forced takeover: returns the former owner or false. */
const STEAL = `local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return v`;
/** Deletes our lease, only if it is still ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class Shtag {
  state: ShtagState = 'backup';
  /** Last owner we know of (null: vacant or unknown). */
  owner: number | null = null;
  /** Date.now() until which our lease is surely valid. */
  leaseUntil = 0;
  /** No attempt to take a vacant lease before this time. */
  notBefore = 0;
  readonly callbacks: ShtagCallback[] = [];
  stepDownTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly tag: string,
    readonly cluster: number,
    readonly declared: ShtagState,
  ) {}
}

const keyOf = (tag: string, cluster: number): string => `${tag}/${cluster}`;

export class Shtags {
  private readonly tags = new Map<string, Shtag>();
  /** Safety margin taken off each lease: timer lateness and clock rate differences. */
  private readonly marginMs: number;
  private stopped = false;

  constructor(
    private readonly link: Link,
    private readonly join: (cluster: number) => Promise<void>,
  ) {
    this.marginMs = Math.max(20, Math.round(link.timeoutMs / 10));
  }

  list(): Shtag[] {
    return [...this.tags.values()];
  }

  get(tag: string, cluster: number): Shtag | undefined {
    return this.tags.get(keyOf(tag, cluster));
  }

  /**
   * Declares a tag (modparam or first use through the API). A backup waits one lease before taking a
   * vacant tag, so the node declared active gets it when both start together.
   */
  declare(tag: string, cluster: number, declared: ShtagState): Shtag {
    const k = keyOf(tag, cluster);
    let t = this.tags.get(k);
    if (t) return t;
    t = new Shtag(tag, cluster, declared);
    if (declared === 'backup') t.notBefore = Date.now() + this.link.timeoutMs;
    this.tags.set(k, t);
    void this.join(cluster).catch((err: unknown) => this.link.log.warn({ err, cluster_id: cluster }, 'clusterer: cannot join cluster'));
    return t;
  }

  /** Redis came back: maybe empty, so no vacant lease is taken for one lease time (see above). */
  holdAcquisitions(now: number): void {
    for (const t of this.tags.values()) t.notBefore = Math.max(t.notBefore, now + this.link.timeoutMs);
  }

  /** One heartbeat: renew what we own, try to take vacant tags. Redis errors are absorbed here. */
  async tick(): Promise<void> {
    for (const t of this.tags.values()) {
      if (this.stopped) return;
      const sentAt = Date.now();
      try {
        if (t.state === 'active') {
          const held = await this.link.cmd.eval(RENEW, 1, shtagKey(t.cluster, t.tag), this.link.me, this.link.timeoutMs);
          if (held === 1) this.holdLease(t, sentAt);
          else await this.refreshOwner(t);
        } else if (sentAt >= t.notBefore) {
          await this.tryAcquire(t, sentAt);
        } else {
          await this.refreshOwner(t);
        }
      } catch {
        // Redis is away: the lease timer steps us down when it lapses; the connection logs the outage.
      }
    }
  }

  /** Forces the tag active here (MI clusterer_shtag_set_active). Throws when Redis fails. */
  async setActive(tag: string, cluster: number): Promise<Shtag> {
    const t = this.declare(tag, cluster, 'backup');
    const sentAt = Date.now();
    const old = await this.link.cmd.eval(STEAL, 1, shtagKey(cluster, tag), this.link.me, this.link.timeoutMs);
    this.holdLease(t, sentAt);
    if (old !== String(this.link.me)) {
      this.link.log.info({ tag, cluster_id: cluster, from: old }, `clusterer: sharing tag ${tag}/${cluster} forced active here`);
    }
    await this.link.publish(eventChannel(cluster), { s: this.link.me, k: 'sh', t: tag, i: this.link.me });
    return t;
  }

  /** A sharing tag notice from another node: a new owner (forced or taken) or a released tag. */
  onNotice(cluster: number, e: Envelope): void {
    if (e.k !== 'sh' || typeof e.t !== 'string') return;
    const t = this.tags.get(keyOf(e.t, cluster));
    if (!t) return;
    const owner = typeof e.i === 'number' ? e.i : null;
    t.owner = owner;
    if (owner !== null && owner !== this.link.me && t.state === 'active') this.stepDown(t, `node ${owner} took it`);
    // Released on a clean stop: try at once instead of at the next heartbeat.
    if (owner === null && t.state === 'backup' && Date.now() >= t.notBefore) {
      void this.tryAcquire(t, Date.now()).catch(() => undefined);
    }
  }

  /** Clean stop: give back every lease we hold and say so, so a backup takes over at once. */
  async releaseAll(): Promise<void> {
    this.stopped = true;
    for (const t of this.tags.values()) {
      clearTimeout(t.stepDownTimer);
      if (t.state !== 'active') continue;
      t.state = 'backup';
      try {
        await this.link.cmd.eval(RELEASE, 1, shtagKey(t.cluster, t.tag), this.link.me);
        await this.link.publish(eventChannel(t.cluster), { s: this.link.me, k: 'sh', t: t.tag, i: null });
      } catch (err) {
        // Redis away: the lease expires by itself within node_timeout.
        this.link.log.warn({ err, tag: t.tag }, `clusterer: could not release sharing tag ${t.tag}/${t.cluster}`);
      }
    }
  }

  private async tryAcquire(t: Shtag, sentAt: number): Promise<void> {
    const owner = await this.link.cmd.eval(ACQUIRE, 1, shtagKey(t.cluster, t.tag), this.link.me, this.link.timeoutMs);
    t.owner = owner === null ? null : Number(owner);
    if (t.owner !== this.link.me || t.state === 'active' || this.stopped) return;
    this.holdLease(t, sentAt);
    await this.link.publish(eventChannel(t.cluster), { s: this.link.me, k: 'sh', t: t.tag, i: this.link.me });
  }

  private async refreshOwner(t: Shtag): Promise<void> {
    const v = await this.link.cmd.get(shtagKey(t.cluster, t.tag));
    t.owner = v === null ? null : Number(v);
    if (t.state === 'active' && t.owner !== this.link.me) this.stepDown(t, t.owner === null ? 'lease lost' : `node ${t.owner} holds it`);
  }

  /** The lease is ours until sentAt + lease − margin; a timer steps us down then unless renewed. */
  private holdLease(t: Shtag, sentAt: number): void {
    t.owner = this.link.me;
    t.leaseUntil = sentAt + this.link.timeoutMs - this.marginMs;
    clearTimeout(t.stepDownTimer);
    const left = t.leaseUntil - Date.now();
    if (left <= 0) return this.stepDown(t, 'lease lapsed before Redis answered');
    t.stepDownTimer = setTimeout(() => this.stepDown(t, 'lease lapsed, Redis unreachable'), left);
    t.stepDownTimer.unref();
    if (t.state !== 'active') this.setState(t, 'active', 'lease taken');
  }

  private stepDown(t: Shtag, why: string): void {
    clearTimeout(t.stepDownTimer);
    t.leaseUntil = 0;
    if (t.state === 'active') this.setState(t, 'backup', why);
  }

  private setState(t: Shtag, state: ShtagState, why: string): void {
    t.state = state;
    this.link.log.info({ tag: t.tag, cluster_id: t.cluster, state, why }, `clusterer: sharing tag ${t.tag}/${t.cluster} is ${state} (${why})`);
    this.link.events.raise('E_CLUSTERER_SHARING_TAG_CHANGED', { tag: t.tag, cluster_id: t.cluster, new_state: state });
    for (const cb of t.callbacks) {
      try {
        cb(state);
      } catch (err) {
        this.link.log.error({ err, tag: t.tag }, 'clusterer: a sharing tag callback threw');
      }
    }
  }
}
