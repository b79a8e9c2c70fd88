/**
 * One node of the cluster(s): the Redis connections, the heartbeat loop, and the membership, sharing tag
 * and replication parts. Redis outages are absorbed: the loop keeps running, the last known node states
 * stay, an owner whose lease cannot be renewed steps down when it lapses, and the whole resumes when
 * Redis is back (ioredis reconnects with backoff).
 */
import type { Redis } from 'ioredis';
import type { ModuleContext } from '@core/sip';

type Logger = ModuleContext['log'];
import type { Counter, EventRegistry } from '@core/sip';
import { commandConnection, connect, redisTarget, subscriberConnection } from './redis.js';
import { reason } from './errors.js';
import { isEnvelope, type Envelope, type Link } from './link.js';
import { Membership } from './membership.js';
import { Shtags } from './shtags.js';
import { Replication } from './replication.js';
import { parseShtagDecl } from './params.js';
import { Outbox } from './outbox.js';

export interface ClusterNodeOptions {
  nodeId: number;
  url: string;
  clusters: readonly number[];
  sipAddr: string | undefined;
  pingMs: number;
  timeoutMs: number;
  seedFallbackMs: number;
  sharingTags: readonly string[];
  log: Logger;
  events: EventRegistry;
  counters: { sent: Counter; received: Counter; syncRequests: Counter; queued: Counter; dropped: Counter; syncIncomplete: Counter };
  /** Replication messages held during a Redis outage, at most (the oldest are dropped past it). */
  queueMax: number;
}

export class ClusterNode implements Link {
  readonly me: number;
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly log: Logger;
  readonly events: EventRegistry;
  readonly pingMs: number;
  readonly timeoutMs: number;
  readonly sent: Counter;
  readonly received: Counter;
  readonly syncRequests: Counter;
  readonly syncIncomplete: Counter;
  readonly outbox: Outbox;
  readonly membership: Membership;
  readonly shtags: Shtags;
  readonly replication: Replication;
  readonly masked: string;
  /** false while Redis is unreachable (set on the first failure, cleared by the reconnect). */
  redisUp = true;
  private readonly handlers = new Map<string, (e: Envelope) => void>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private everReady = false;
  private subEverReady = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly options: ClusterNodeOptions;

  constructor(o: ClusterNodeOptions) {
    this.me = o.nodeId;
    this.log = o.log;
    this.events = o.events;
    this.pingMs = o.pingMs;
    this.timeoutMs = o.timeoutMs;
    this.sent = o.counters.sent;
    this.received = o.counters.received;
    this.syncRequests = o.counters.syncRequests;
    this.syncIncomplete = o.counters.syncIncomplete;
    const target = redisTarget(o.url);
    this.masked = target.masked;
    // A command slower than a heartbeat is as good as lost: the next beat retries it.
    this.cmd = commandConnection(target, Math.max(o.pingMs, 200));
    this.sub = subscriberConnection(target, `tsips-clu-${o.nodeId}-sub`);
    this.membership = new Membership(this, o.sipAddr, (c) => this.replication.statuses(c));
    this.shtags = new Shtags(this, (c) => this.membership.join(c));
    this.replication = new Replication(this, this.membership, o.seedFallbackMs);
    this.outbox = new Outbox(
      o.queueMax,
      (c, m) => this.publish(c, m),
      o.log,
      { queued: o.counters.queued, dropped: o.counters.dropped },
      (c) => this.receiversReady(c),
      o.timeoutMs,
    );
    this.membership.onNotice((c, e) => this.shtags.onNotice(c, e));
    this.sub.on('message', (channel: string, text: string) => this.dispatch(channel, text));
    this.cmd.on('error', (err: unknown) => this.onRedisError(err));
    this.sub.on('error', () => undefined); // the command connection reports outages
    this.cmd.on('ready', () => this.onRedisReady());
    this.sub.on('ready', () => this.onSubscriberReady());
    this.options = o;
  }

  /**
   * Opens both connections (a wrong URL, password or an unreachable Redis fails here, naming the URL),
   * then joins the configured clusters and declares the configured sharing tags.
   */
  async connect(): Promise<void> {
    await connect(this.cmd, this.masked);
    await connect(this.sub, this.masked);
    for (const c of this.options.clusters) await this.membership.join(c);
    for (const s of this.options.sharingTags) {
      const d = parseShtagDecl(s);
      if (d) this.shtags.declare(d.tag, d.cluster, d.state);
    }
  }

  /** First heartbeat and look at the others, then the loop. */
  async start(): Promise<void> {
    this.state = 'running';
    await this.tick();
    await this.membership.announce('up').catch(() => undefined);
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.flushTimer);
    await this.ticking;
    await this.outbox.flush();
    this.outbox.discard();
    if (this.redisUp) {
      try {
        await this.shtags.releaseAll();
        await this.membership.leave();
        await this.membership.announce('down');
      } catch (err) {
        this.log.warn({ err }, `clusterer: clean leave incomplete (${reason(err)}); the others see this node down after node_timeout`);
      }
    } else {
      await this.shtags.releaseAll().catch(() => undefined);
    }
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  publish(channel: string, msg: object): Promise<void> {
    this.sent.inc();
    return this.cmd.publish(channel, JSON.stringify(msg)).then(() => undefined);
  }

  /**
   * Publishes a replication message; while Redis is away (or when this publish fails on a lost
   * connection) it is held and published, in order, after the reconnect. Resolves once published.
   */
  publishReplicated(channel: string, msg: object): Promise<void> {
    if (!this.redisUp || this.outbox.size > 0) return this.outbox.hold(channel, msg);
    return this.publish(channel, msg).catch((err: unknown) => {
      if (this.state === 'stopped') throw err;
      this.onRedisError(err);
      return this.outbox.hold(channel, msg);
    });
  }

  /** Every node known to have the channel's capability is subscribed to it (PUBSUB NUMSUB counts us too). */
  private async receiversReady(channel: string): Promise<boolean> {
    const expected = this.replication.expectedReceivers(channel);
    const reply = await this.cmd.pubsub('NUMSUB', channel);
    return Number(reply[1] ?? 0) >= expected + 1;
  }

  subscribe(channel: string, on: (e: Envelope) => void): Promise<void> {
    this.handlers.set(channel, on);
    return this.sub.subscribe(channel).then(() => undefined);
  }

  private dispatch(channel: string, text: string): void {
    const on = this.handlers.get(channel);
    if (!on) return;
    let e: unknown;
    try {
      e = JSON.parse(text);
    } catch {
      return;
    }
    if (!isEnvelope(e) || e.s === this.me) return;
    on(e);
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, this.pingMs);
  }

  private async tick(): Promise<void> {
    try {
      await this.membership.tick();
    } catch (err) {
      this.onRedisError(err);
    }
    await this.shtags.tick();
    // A flush cut short by another failure is retried at each heartbeat.
    if (this.redisUp && this.outbox.size > 0) await this.outbox.flush();
  }

  private onRedisError(err: unknown): void {
    if (!this.redisUp) return;
    this.redisUp = false;
    this.log.warn({ err: reason(err), url: this.masked }, 'clusterer: Redis unreachable; keeping the last known node states, retrying with backoff');
  }

  private onRedisReady(): void {
    const again = this.everReady;
    this.everReady = true;
    if (!again) return;
    const now = Date.now();
    // Redis may have restarted empty: heartbeats and leases come back within a beat; until then nobody
    // is declared down and no vacant lease is taken (an owner cut off may still be inside its lease).
    this.membership.downNotBefore = now + this.timeoutMs;
    this.shtags.holdAcquisitions(now);
    if (!this.redisUp) this.log.info({ url: this.masked }, 'clusterer: Redis reachable again');
    this.redisUp = true;
    // What was held goes out once the others' subscribers are back too (see Outbox).
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => void this.outbox.flush(), this.pingMs);
  }

  /**
   * The subscriber reconnected: whatever was published meanwhile never reached us, so every capability
   * that synced once syncs again from a donor (one heartbeat later, once the others are reachable too).
   */
  private onSubscriberReady(): void {
    const again = this.subEverReady;
    this.subEverReady = true;
    if (!again || this.state !== 'running') return;
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => this.replication.resyncAll(), this.pingMs);
  }
}
