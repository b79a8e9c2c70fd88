/**
 * Cluster membership: each node keeps a heartbeat key with an expiry (`SET … PX node_timeout`) in every
 * cluster it belongs to, and lists the others by SCAN. A node whose key expired is down. Joins and clean
 * leaves are also announced on the cluster's notice channel, so the others see them at once.
 */
import { eventChannel, nodeIdOf, nodeKey, nodePattern } from './keys.js';
import type { Envelope, Link } from './link.js';

export type NodeState = 'up' | 'down';

export interface NodeInfo {
  readonly id: number;
  state: NodeState;
  /** Date.now() when the heartbeat was last seen. */
  lastSeen: number;
  sipAddr: string | undefined;
  /** Capabilities of that node and their sync status, as its heartbeat says. */
  caps: Record<string, string>;
}

/** What a node writes in its heartbeat key. */
interface Beat {
  sip_addr?: string;
  caps: Record<string, string>;
}

export type NodeStateListener = (cluster: number, node: number, state: NodeState) => void;

const SCAN_COUNT = 1000;

export class Membership {
  readonly clusters = new Map<number, Map<number, NodeInfo>>();
  /** While Date.now() is below this, missing heartbeats do not make a node down (Redis just came back). */
  downNotBefore = 0;
  private readonly listeners: NodeStateListener[] = [];
  /** Other readers of the notice channel (sharing tags). */
  private readonly noticeReaders: ((cluster: number, e: Envelope) => void)[] = [];

  constructor(
    private readonly link: Link,
    private readonly sipAddr: string | undefined,
    /** Capability statuses of this node in a cluster, for its heartbeat. */
    private readonly capsOf: (cluster: number) => Record<string, string>,
  ) {}

  onNodeState(l: NodeStateListener): void {
    this.listeners.push(l);
  }

  onNotice(reader: (cluster: number, e: Envelope) => void): void {
    this.noticeReaders.push(reader);
  }

  /** Adds a cluster; its notice channel is subscribed. Idempotent. */
  join(cluster: number): Promise<void> {
    if (this.clusters.has(cluster)) return Promise.resolve();
    this.clusters.set(cluster, new Map());
    return this.link.subscribe(eventChannel(cluster), (e) => {
      this.notice(cluster, e);
      for (const r of this.noticeReaders) r(cluster, e);
    });
  }

  nodes(cluster: number): NodeInfo[] {
    return [...(this.clusters.get(cluster)?.values() ?? [])].sort((a, b) => a.id - b.id);
  }

  /** One heartbeat and one look at the others, for every cluster. Throws when Redis fails. */
  async tick(): Promise<void> {
    for (const cluster of this.clusters.keys()) {
      await this.beat(cluster);
      await this.scan(cluster);
    }
  }

  /** Announces this node in every cluster (after the first beat, so the others find its key). */
  async announce(k: 'up' | 'down'): Promise<void> {
    for (const cluster of this.clusters.keys()) {
      // An up notice carries the heartbeat (sip_addr, capabilities): the others know them from the first moment.
      const p = k === 'up' ? JSON.stringify(this.beatOf(cluster)) : undefined;
      await this.link.publish(eventChannel(cluster), { s: this.link.me, k, ...(p !== undefined ? { p } : {}) });
    }
  }

  /** Deletes this node's heartbeats (clean stop). */
  async leave(): Promise<void> {
    const keys = [...this.clusters.keys()].map((c) => nodeKey(c, this.link.me));
    if (keys.length > 0) await this.link.cmd.del(...keys);
  }

  private beatOf(cluster: number): Beat {
    const beat: Beat = { caps: this.capsOf(cluster) };
    if (this.sipAddr !== undefined) beat.sip_addr = this.sipAddr;
    return beat;
  }

  private async beat(cluster: number): Promise<void> {
    await this.link.cmd.set(nodeKey(cluster, this.link.me), JSON.stringify(this.beatOf(cluster)), 'PX', this.link.timeoutMs);
  }

  private async scan(cluster: number): Promise<void> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.link.cmd.scan(cursor, 'MATCH', nodePattern(cluster), 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const k of batch) if (nodeIdOf(k) !== this.link.me) keys.push(k);
    } while (cursor !== '0');
    const values = keys.length > 0 ? await this.link.cmd.mget(...keys) : [];
    const now = Date.now();
    const seen = new Set<number>();
    keys.forEach((k, i) => {
      const id = nodeIdOf(k);
      const v = values[i];
      // A key may expire between SCAN and MGET: that node is not seen this time.
      if (!Number.isInteger(id) || v === null || v === undefined) return;
      seen.add(id);
      this.seen(cluster, id, now, parseBeat(v));
    });
    if (now < this.downNotBefore) return;
    for (const n of this.clusters.get(cluster)?.values() ?? []) {
      if (n.state === 'up' && !seen.has(n.id)) this.change(cluster, n, 'down');
    }
  }

  private seen(cluster: number, id: number, now: number, beat: Beat | undefined): void {
    const table = this.clusters.get(cluster);
    if (!table) return;
    let n = table.get(id);
    if (!n) {
      n = { id, state: 'down', lastSeen: now, sipAddr: undefined, caps: {} };
      table.set(id, n);
    }
    n.lastSeen = now;
    if (beat) {
      n.sipAddr = beat.sip_addr;
      n.caps = beat.caps;
    }
    if (n.state === 'down') this.change(cluster, n, 'up');
  }

  private notice(cluster: number, e: Envelope): void {
    if (e.k === 'up') this.seen(cluster, e.s, Date.now(), typeof e.p === 'string' ? parseBeat(e.p) : undefined);
    else if (e.k === 'down') {
      const n = this.clusters.get(cluster)?.get(e.s);
      if (n && n.state === 'up') this.change(cluster, n, 'down');
    }
  }

  private change(cluster: number, n: NodeInfo, state: NodeState): void {
    n.state = state;
    if (state === 'down') n.caps = {};
    this.link.log.info({ cluster_id: cluster, node_id: n.id, state }, `clusterer: node ${n.id} of cluster ${cluster} is ${state}`);
    this.link.events.raise('E_CLUSTERER_NODE_STATE_CHANGED', { cluster_id: cluster, node_id: n.id, new_state: state === 'up' ? 1 : 0 });
    for (const l of this.listeners) l(cluster, n.id, state);
  }
}

function parseBeat(text: string): Beat | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const caps = typeof o['caps'] === 'object' && o['caps'] !== null ? (o['caps'] as Record<string, string>) : {};
    return { caps, ...(typeof o['sip_addr'] === 'string' ? { sip_addr: o['sip_addr'] } : {}) };
  } catch {
    return undefined;
  }
}
