/**
 * Replication channels: one Redis pub/sub channel per cluster and capability (`b2be-entities-repl`,
 * `dialog-dlg-repl`…) carrying JSON envelopes. Broadcasts go to every node subscribed; a unicast names
 * its destination and the others drop it. A joining node asks one donor — the lowest node id that is up
 * and has the capability synced — for its full state, which comes back in chunks and an end marker (pub/sub
 * keeps one publisher's order on a channel). With no donor within `seed_fallback_interval` the node is
 * the seed: it takes itself as synced.
 */
import { randomUUID } from 'node:crypto';
import { capChannel } from './keys.js';
import type { Envelope, Link } from './link.js';
import type { Membership } from './membership.js';
import { errors } from './errors.js';

export interface ReplicatedMessage {
  type: string;
  payload: unknown;
  sourceNode: number;
}

/** What a module gives for its capability. */
export interface CapabilityHandler {
  /** A broadcast or unicast from another node · once per message · never for this node's own. */
  onMessage(msg: ReplicatedMessage): void | Promise<void>;
  /** Full state for a node that asks for a sync · once per sync request this node serves. JSON-serialisable items. */
  onSyncRequest?(): readonly unknown[] | Promise<readonly unknown[]>;
  /** Part of the state a donor sent in reply to requestSync · once per chunk, in order. */
  onSyncChunk?(items: unknown[]): void | Promise<void>;
  /**
   * A sync began · once per attempt, before its first chunk · `resync` when this node had synced before
   * (after a Redis outage its subscriber missed messages; the module may drop what the donor no longer has).
   */
  onSyncStart?(info: { donor: number; resync: boolean }): void | Promise<void>;
  /**
   * A sync attempt ended · once per attempt · `complete` when every item the donor announced arrived
   * (false: a chunk was lost or the donor went silent; another attempt follows).
   */
  onSyncEnd?(info: { donor: number; resync: boolean; complete: boolean; items: number }): void | Promise<void>;
}

export interface ReplicationChannel {
  /** Sends to every other node of the cluster that has the capability. */
  broadcast(type: string, payload: unknown): Promise<void>;
  /** Sends to one node (others drop it). */
  send(nodeId: number, type: string, payload: unknown): Promise<void>;
  /**
   * Asks a synced node for its full state and resolves when the last chunk was handled; resolves too when
   * no donor showed up within `seed_fallback_interval` (this node is then the seed).
   */
  requestSync(): Promise<void>;
}

/** `none`: never asked; `syncing`: asked, chunks arriving; `synced`: received everything or is the seed. */
export type SyncStatus = 'none' | 'syncing' | 'synced';

interface Capability {
  readonly name: string;
  readonly cluster: number;
  readonly handler: CapabilityHandler;
  readonly channel: string;
  readonly subscribed: Promise<void>;
  status: SyncStatus;
  /** The sync we wait for: its id, the items received so far, and how its end is signalled. */
  pending: { id: string; donor: number; resync: boolean; got: number; done(announced: number): void } | undefined;
  /** requestSync ran once: a reconnect syncs again. */
  wanted: boolean;
  /** A sync (first or re-sync) is running. */
  running: Promise<void> | undefined;
  /** A reconnect came while a sync was running: sync again once it ends. */
  resyncAfter: boolean;
  /** Serialises handler calls so chunks and messages are applied in arrival order. */
  queue: Promise<void>;
}

/** Items per sync chunk: keeps each published message in the tens of kB for typical dialog/b2b records. */
const CHUNK = 100;
/** Sync attempts per donor before the next donor (or the seed fallback). */
const ATTEMPTS = 3;

export class Replication {
  private readonly caps = new Map<string, Capability>();

  constructor(
    private readonly link: Link,
    private readonly membership: Membership,
    private readonly seedFallbackMs: number,
  ) {}

  list(): { name: string; cluster: number; status: SyncStatus }[] {
    return [...this.caps.values()].map((c) => ({ name: c.name, cluster: c.cluster, status: c.status }));
  }

  /** Other nodes up now whose heartbeat lists the capability of `channel` (its expected receivers). */
  expectedReceivers(channel: string): number {
    for (const c of this.caps.values()) {
      if (c.channel !== channel) continue;
      return this.membership.nodes(c.cluster).filter((n) => n.state === 'up' && n.caps[c.name] !== undefined).length;
    }
    return 0;
  }

  /** Capability statuses in one cluster, for this node's heartbeat. */
  statuses(cluster: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.caps.values()) if (c.cluster === cluster) out[c.name] = c.status;
    return out;
  }

  register(name: string, cluster: number, handler: CapabilityHandler): ReplicationChannel {
    const key = `${cluster}/${name}`;
    if (this.caps.has(key)) throw errors.capability(name, cluster);
    const channel = capChannel(cluster, name);
    const joined = this.membership.join(cluster);
    const cap: Capability = {
      name,
      cluster,
      handler,
      channel,
      subscribed: Promise.all([joined, this.link.subscribe(channel, (e) => this.onEnvelope(cap, e))]).then(() => undefined),
      status: 'none',
      pending: undefined,
      wanted: false,
      running: undefined,
      resyncAfter: false,
      queue: Promise.resolve(),
    };
    cap.subscribed.catch((err: unknown) => this.link.log.warn({ err, capability: name }, 'clusterer: subscribing a capability failed'));
    this.caps.set(key, cap);
    return {
      broadcast: (type, payload) => this.link.publishReplicated(channel, { s: this.link.me, k: 'm', t: type, p: payload }),
      send: (nodeId, type, payload) => this.link.publishReplicated(channel, { s: this.link.me, d: nodeId, k: 'm', t: type, p: payload }),
      requestSync: () => {
        cap.wanted = true;
        return (cap.running ??= this.requestSync(cap, false).finally(() => this.syncEnded(cap)));
      },
    };
  }

  /**
   * After a reconnect of the subscriber: every capability that synced before syncs again. It stays
   * `synced` meanwhile (its data is as good as any other node's), so nodes re-syncing together still
   * serve each other.
   */
  resyncAll(): void {
    for (const cap of this.caps.values()) {
      if (!cap.wanted) continue;
      // A sync running now may have been served before what this node missed: one more after it.
      if (cap.running !== undefined) cap.resyncAfter = true;
      else cap.running = this.requestSync(cap, true).finally(() => this.syncEnded(cap));
    }
  }

  private syncEnded(cap: Capability): void {
    cap.running = undefined;
    if (!cap.resyncAfter) return;
    cap.resyncAfter = false;
    cap.running = this.requestSync(cap, true).finally(() => this.syncEnded(cap));
  }

  private async requestSync(cap: Capability, resync: boolean): Promise<void> {
    await cap.subscribed;
    if (!resync) cap.status = 'syncing';
    const deadline = Date.now() + this.seedFallbackMs;
    /** Attempts per donor: an incomplete sync is retried, a few times. */
    const tried = new Map<number, number>();
    while (Date.now() < deadline) {
      const donor = this.membership.nodes(cap.cluster).find((n) => n.state === 'up' && n.caps[cap.name] === 'synced' && (tried.get(n.id) ?? 0) < ATTEMPTS);
      if (donor === undefined) {
        await sleep(this.link.pingMs);
        continue;
      }
      tried.set(donor.id, (tried.get(donor.id) ?? 0) + 1);
      if (await this.syncFrom(cap, donor.id, resync, Math.max(deadline - Date.now(), 2 * this.link.timeoutMs))) {
        cap.status = 'synced';
        this.link.log.info(
          { capability: cap.name, cluster_id: cap.cluster, donor: donor.id, resync },
          `clusterer: ${cap.name} ${resync ? 're-synced' : 'synced'} from node ${donor.id}`,
        );
        return;
      }
      this.link.log.warn({ capability: cap.name, donor: donor.id }, `clusterer: sync of ${cap.name} from node ${donor.id} did not complete`);
    }
    cap.status = 'synced';
    if (resync) this.link.log.info({ capability: cap.name, cluster_id: cap.cluster }, `clusterer: no donor to re-sync ${cap.name} from`);
    else this.link.log.info({ capability: cap.name, cluster_id: cap.cluster }, `clusterer: no donor for ${cap.name}, this node is the seed`);
  }

  /**
   * One sync attempt; true when the end marker came within `waitMs` and the items received are as many as
   * it announces (a chunk lost on the way fails the attempt).
   */
  private async syncFrom(cap: Capability, donor: number, resync: boolean, waitMs: number): Promise<boolean> {
    const id = randomUUID();
    await cap.handler.onSyncStart?.({ donor, resync });
    const outcome = await new Promise<{ complete: boolean; got: number }>((resolve) => {
      const timer = setTimeout(() => {
        const got = cap.pending?.got ?? 0;
        cap.pending = undefined;
        resolve({ complete: false, got });
      }, waitMs);
      const pending = {
        id,
        donor,
        resync,
        got: 0,
        done: (announced: number) => {
          clearTimeout(timer);
          cap.pending = undefined;
          if (pending.got !== announced) {
            this.link.syncIncomplete.inc();
            this.link.log.warn(
              { capability: cap.name, donor, got: pending.got, announced },
              `clusterer: sync of ${cap.name} from node ${donor} lost items (${pending.got} of ${announced})`,
            );
          }
          resolve({ complete: pending.got === announced, got: pending.got });
        },
      };
      cap.pending = pending;
      this.link.publish(cap.channel, { s: this.link.me, d: donor, k: 'sq', i: id }).catch(() => {
        // Redis away: the timer ends this attempt.
      });
    });
    await cap.handler.onSyncEnd?.({ donor, resync, complete: outcome.complete, items: outcome.got });
    return outcome.complete;
  }

  private onEnvelope(cap: Capability, e: Envelope): void {
    if (e.d !== undefined && e.d !== this.link.me) return;
    this.link.received.inc();
    cap.queue = cap.queue
      .then(() => this.handle(cap, e))
      .catch((err: unknown) => {
        this.link.log.error({ err, capability: cap.name, kind: e.k }, 'clusterer: a replication handler failed');
      });
  }

  private async handle(cap: Capability, e: Envelope): Promise<void> {
    switch (e.k) {
      case 'm':
        await cap.handler.onMessage({ type: e.t ?? '', payload: e.p, sourceNode: e.s });
        return;
      case 'sq':
        return this.serveSync(cap, e);
      case 'sc':
        if (cap.pending !== undefined && cap.pending.id === e.i && Array.isArray(e.p)) {
          cap.pending.got += e.p.length;
          await cap.handler.onSyncChunk?.(e.p);
        }
        return;
      case 'se':
        if (cap.pending !== undefined && cap.pending.id === e.i) cap.pending.done(typeof e.p === 'number' ? e.p : -1);
        return;
      case 'up':
      case 'down':
      case 'sh':
        return;
    }
  }

  private async serveSync(cap: Capability, e: Envelope): Promise<void> {
    this.link.syncRequests.inc();
    const items = (await cap.handler.onSyncRequest?.()) ?? [];
    const to = { s: this.link.me, d: e.s, i: e.i };
    for (let i = 0; i < items.length; i += CHUNK) {
      await this.link.publish(cap.channel, { ...to, k: 'sc', p: items.slice(i, i + CHUNK) });
    }
    await this.link.publish(cap.channel, { ...to, k: 'se', p: items.length });
    this.link.log.info({ capability: cap.name, to: e.s, items: items.length }, `clusterer: served a ${cap.name} sync to node ${e.s}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
