/**
 * Profile replication (OpenSIPS `profile_replication_cluster`): every node broadcasts its own counts of
 * the (non `/s`) profiles over the clusterer's `dialog-prof-repl` capability, and a profile's size is this
 * node's members plus the other nodes' last counts.
 *
 * - Counts are absolute per node (never increments), so a lost message is repaired by the next one.
 * - What changed goes out every `replicate_profiles_timer` ms; everything every `replicate_profiles_check`
 *   s (so the others keep it), and a node's counts not refreshed for `replicate_profiles_expire` s, or
 *   of a node seen down, are dropped. A node coming up gets everyone's counts at once.
 */
import type { Counter, ModuleContext } from '@core/sip';
import type { ClustererApi, ReplicatedMessage, ReplicationChannel } from '@mod/clusterer';
import type { DlgProfile, Profiles } from './profiles.js';

type Logger = ModuleContext['log'];

export const PROFILE_CAPABILITY = 'dialog-prof-repl';

export interface ProfileReplicationOptions {
  timerMs: number;
  checkMs: number;
  expireMs: number;
}

/** profile name → value → count. */
type Counts = Record<string, Record<string, number>>;

interface NodeCounts {
  at: number;
  counts: Map<string, Map<string, number>>;
}

export class ProfileReplication {
  readonly channel: ReplicationChannel;
  /** This node's own (not replicated) members, per profile and value. */
  readonly #own = new Map<DlgProfile, Map<string, number>>();
  readonly #dirty = new Set<DlgProfile>();
  readonly #remote = new Map<number, NodeCounts>();
  #timer: NodeJS.Timeout | null = null;
  #check: NodeJS.Timeout | null = null;

  constructor(
    private readonly profiles: Profiles,
    api: ClustererApi,
    readonly cluster: number,
    private readonly opts: ProfileReplicationOptions,
    private readonly log: Logger,
    private readonly stats: { sent: Counter; received: Counter },
  ) {
    this.channel = api.registerCapability(PROFILE_CAPABILITY, cluster, { onMessage: (m) => this.#onMessage(m) });
    profiles.onLink = (p, v, replicated, delta) => {
      if (p.shared || replicated) return;
      let m = this.#own.get(p);
      if (m === undefined) this.#own.set(p, (m = new Map<string, number>()));
      const n = (m.get(v) ?? 0) + delta;
      if (n <= 0) m.delete(v);
      else m.set(v, n);
      this.#dirty.add(p);
    };
    profiles.remoteSize = (p, value) => this.remoteSize(p, value);
    api.onNodeState((c, node, state) => {
      if (c !== cluster) return;
      if (state === 'down') this.#remote.delete(node);
      else this.#send([...this.#own.keys()]); // a node coming up learns our counts now
    });
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#dirty.size === 0) return;
      const list = [...this.#dirty];
      this.#dirty.clear();
      this.#send(list);
    }, this.opts.timerMs);
    this.#timer.unref();
    this.#check = setInterval(() => {
      this.#send([...this.profiles.all()].filter((p) => !p.shared));
      const old = Date.now() - this.opts.expireMs;
      for (const [node, c] of this.#remote) {
        if (c.at >= old) continue;
        this.#remote.delete(node);
        this.log.info({ node }, `profile counts of node ${node} expired (no update within replicate_profiles_expire)`);
      }
    }, this.opts.checkMs);
    this.#check.unref();
    this.#send([...this.profiles.all()].filter((p) => !p.shared));
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#check !== null) clearInterval(this.#check);
    this.#timer = this.#check = null;
  }

  /** The other nodes' counts of a profile (of one value when given). */
  remoteSize(p: DlgProfile, value?: string): number {
    let n = 0;
    const key = p.hasValue ? value : undefined;
    for (const c of this.#remote.values()) {
      const m = c.counts.get(p.name);
      if (m === undefined) continue;
      for (const [v, k] of m) if (key === undefined || v === key) n += k;
    }
    return n;
  }

  #send(list: readonly DlgProfile[]): void {
    if (list.length === 0) return;
    const counts: Counts = {};
    for (const p of list) counts[p.name] = Object.fromEntries(this.#own.get(p) ?? []);
    this.stats.sent.inc();
    this.channel.broadcast('counts', counts).catch((err: unknown) => this.log.warn({ err }, 'profile counts not replicated'));
  }

  #onMessage(m: ReplicatedMessage): void {
    if (m.type !== 'counts' || typeof m.payload !== 'object' || m.payload === null) return;
    this.stats.received.inc();
    let node = this.#remote.get(m.sourceNode);
    if (node === undefined) this.#remote.set(m.sourceNode, (node = { at: 0, counts: new Map() }));
    node.at = Date.now();
    for (const [name, byValue] of Object.entries(m.payload as Counts)) {
      const fresh = new Map<string, number>();
      if (typeof byValue === 'object' && byValue !== null) {
        for (const [v, n] of Object.entries(byValue)) if (typeof n === 'number' && n > 0) fresh.set(v, n);
      }
      node.counts.set(name, fresh);
    }
  }
}
