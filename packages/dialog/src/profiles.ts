/**
 * Dialog profiles (OpenSIPS `profiles_with_value` / `profiles_no_value`): named sets of dialogs, optionally
 * keyed by a value, whose sizes scripts use for call limits.
 *
 * A profile marked `/s` is shared between servers through cachedb. Each node publishes its own *absolute*
 * count per value under its own key (`dlg_prof:<profile>:<node>`, a JSON object value → count, with an
 * expiry refreshed periodically), and a size is the sum over the nodes' keys. So counters cannot go below
 * zero or drift: nothing is ever decremented, a restarted node overwrites its key with what it really holds,
 * a crashed node's key expires, and after a cachedb restart the next refresh puts every node's count back.
 */
import type { CacheDb, ModuleContext } from '@core/sip';
import type { Dlg } from './dialog.js';
import { ProfileOutage, type OutageOptions } from './profile-outage.js';

type Logger = ModuleContext['log'];

export class DlgProfile {
  /** Local members per value ('' for profiles without value). */
  readonly members = new Map<string, Set<Dlg>>();
  /** What this node publishes (its own dialogs, not replicated ones), per value. */
  readonly published = new Map<string, number>();
  /** Last sizes read from cachedb for other nodes (used while cachedb is unreachable). */
  remote = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly hasValue: boolean,
    readonly shared: boolean,
    /**
     * How it is shared: `/s` (cachedb) or `/b` (OpenSIPS: the clusterer's binary replication; here the same
     * cachedb counts as `/s`, so a `/b` profile needs a cachedb_url), '' when local.
     */
    readonly sharing: '' | 's' | 'b' = shared ? 's' : '',
  ) {}

  localSize(value?: string): number {
    if (value !== undefined) return this.members.get(this.hasValue ? value : '')?.size ?? 0;
    let n = 0;
    for (const s of this.members.values()) n += s.size;
    return n;
  }
}

/** A dialog's membership in a profile. */
export interface ProfileLink {
  readonly profile: DlgProfile;
  readonly value: string;
  /** Counted in this node's published (shared) counts. */
  readonly published: boolean;
  /** The dialog came from another node (replication): that node counts it. */
  readonly replicated: boolean;
}

/** Parses `"a; b/s ;c"` into definitions. */
export function parseProfileDefs(spec: string, hasValue: boolean): DlgProfile[] {
  const out: DlgProfile[] = [];
  for (const raw of spec.split(';')) {
    const item = raw.trim();
    if (item === '') continue;
    const slash = item.indexOf('/');
    const name = (slash < 0 ? item : item.slice(0, slash)).trim();
    const opts = slash < 0 ? '' : item.slice(slash + 1).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad profile name "${name}"`);
    for (const o of opts) if (o !== 's' && o !== 'b') throw new Error(`profile "${name}": unknown option "/${o}" (use /s or /b)`);
    const sharing = opts.includes('b') ? 'b' : opts.includes('s') ? 's' : '';
    out.push(new DlgProfile(name, hasValue, sharing !== '', sharing));
  }
  return out;
}

export class Profiles {
  readonly #defs = new Map<string, DlgProfile>();
  #cache: CacheDb | null = null;
  #nodeId = '';
  #ttl = 0;
  readonly #dirty = new Set<DlgProfile>();
  #flushing: Promise<void> | null = null;
  #flushAgain = false;
  #refresh: NodeJS.Timeout | null = null;
  #outage: ProfileOutage | null = null;

  /** profile_replication_cluster (profile-replication.ts): told of every link change, adds the other nodes' counts. */
  onLink: ((p: DlgProfile, value: string, replicated: boolean, delta: 1 | -1) => void) | null = null;
  remoteSize: ((p: DlgProfile, value?: string) => number) | null = null;

  constructor(private readonly log: Logger) {}

  add(defs: readonly DlgProfile[]): void {
    for (const d of defs) if (this.#defs.has(d.name)) throw new Error(`profile "${d.name}" is defined twice`);
    for (const d of defs) {
      this.#defs.set(d.name, d);
      // Added after start (API add_profiles): published with the next write like the others.
      if (d.shared && this.#cache !== null) this.#dirty.add(d);
    }
    if (this.#dirty.size > 0) void this.flush();
  }

  /** cachedb is connected (shared profiles are published). */
  get sharing(): boolean {
    return this.#cache !== null;
  }

  search(name: string): DlgProfile | undefined {
    return this.#defs.get(name);
  }

  all(): IterableIterator<DlgProfile> {
    return this.#defs.values();
  }

  get hasShared(): boolean {
    for (const d of this.#defs.values()) if (d.shared) return true;
    return false;
  }

  /** Connects the shared profiles to cachedb and starts the periodic refresh of this node's keys. */
  share(cache: CacheDb, nodeId: string, refreshSec: number, outage: Partial<OutageOptions> = {}): void {
    this.#cache = cache;
    this.#outage = new ProfileOutage(
      this.log,
      { lookupTimeoutMs: outage.lookupTimeoutMs ?? 500, probeMs: outage.probeMs ?? 1000, stale: outage.stale },
      async () => {
        for (const d of this.#defs.values()) if (d.shared) await this.#readRemote(d);
      },
      () => {
        for (const d of this.#defs.values()) if (d.shared) this.#dirty.add(d);
        void this.flush();
      },
    );
    this.#nodeId = nodeId;
    // Three missed refreshes before a dead node's counts vanish.
    this.#ttl = Math.max(1, Math.ceil(refreshSec * 3));
    this.#refresh = setInterval(() => {
      for (const d of this.#defs.values()) if (d.shared) this.#dirty.add(d);
      void this.flush();
    }, refreshSec * 1000);
    this.#refresh.unref();
    for (const d of this.#defs.values()) if (d.shared) this.#dirty.add(d);
  }

  /** Adds a dialog to a profile (set_dlg_profile); false when it is already in it with this value. */
  set(dlg: Dlg, p: DlgProfile, value: string, replicated = false): boolean {
    const v = p.hasValue ? value : '';
    const links = (dlg.profiles ??= []);
    for (const l of links) if (l.profile === p && l.value === v) return false;
    const published = p.shared && !replicated;
    links.push({ profile: p, value: v, published, replicated });
    this.onLink?.(p, v, replicated, 1);
    let set = p.members.get(v);
    if (set === undefined) p.members.set(v, (set = new Set()));
    set.add(dlg);
    if (published) this.#bump(p, v, 1);
    return true;
  }

  /** Removes a dialog from a profile (all values when `value` is undefined); false when it was not in it. */
  unset(dlg: Dlg, p: DlgProfile, value?: string): boolean {
    const links = dlg.profiles;
    if (links === null) return false;
    const v = value === undefined ? undefined : p.hasValue ? value : '';
    let removed = false;
    for (let i = links.length - 1; i >= 0; i--) {
      const l = links[i] as ProfileLink;
      if (l.profile !== p || (v !== undefined && l.value !== v)) continue;
      links.splice(i, 1);
      this.#drop(dlg, l);
      removed = true;
    }
    return removed;
  }

  /** Takes a dialog out of every profile (it ended). */
  unlinkAll(dlg: Dlg): void {
    const links = dlg.profiles;
    if (links === null) return;
    dlg.profiles = null;
    for (const l of links) this.#drop(dlg, l);
  }

  isIn(dlg: Dlg, p: DlgProfile, value?: string): boolean {
    if (dlg.profiles === null) return false;
    for (const l of dlg.profiles) if (l.profile === p && (value === undefined || !p.hasValue || l.value === value)) return true;
    return false;
  }

  /**
   * Size of a profile (of one value when given): local, or summed over every node for shared ones. While
   * cachedb is away it answers at once from the last known counts of the others (profile-outage.ts).
   */
  async size(p: DlgProfile, value?: string): Promise<number> {
    const outage = this.#outage;
    if (!p.shared || this.#cache === null || outage === null) return p.localSize(value) + (p.shared ? 0 : (this.remoteSize?.(p, value) ?? 0));
    const key = p.hasValue ? value : undefined;
    await outage.read(() => this.#readRemote(p));
    let remote = 0;
    for (const [val, n] of p.remote) if (key === undefined || val === key) remote += n;
    let mine = 0;
    for (const [val, n] of p.published) if (key === undefined || val === key) mine += n;
    // Replicated dialogs are counted by the node that published them; local-only members count here.
    return remote + mine;
  }

  /** True while shared profile sizes come from the last known counts (cachedb unreachable). */
  get cachedbDown(): boolean {
    return this.#outage?.down ?? false;
  }

  /** Reads the other nodes' counts of a shared profile into `p.remote`; throws when cachedb fails. */
  async #readRemote(p: DlgProfile): Promise<void> {
    const cache = this.#cache;
    if (cache === null) return;
    const byNode = await cache.getByPrefix(`dlg_prof:${p.name}:`);
    const fresh = new Map<string, number>();
    for (const [k, json] of byNode) {
      if (k === this.#keyOf(p)) continue; // our own count is fresher in memory
      const counts = parseCounts(json);
      for (const [val, n] of counts) fresh.set(val, (fresh.get(val) ?? 0) + n);
    }
    p.remote = fresh;
  }

  /** Writes the dirty shared profiles of this node; one write at a time, in order. */
  flush(): Promise<void> {
    if (this.#cache === null) return Promise.resolve();
    if (this.#flushing !== null) {
      this.#flushAgain = true;
      return this.#flushing;
    }
    this.#flushing = this.#write().finally(() => {
      this.#flushing = null;
      if (this.#flushAgain) {
        this.#flushAgain = false;
        void this.flush();
      }
    });
    return this.#flushing;
  }

  /** Stops the refresh and removes this node's keys (a clean shutdown leaves no counts behind). */
  async close(keepKeys: boolean): Promise<void> {
    if (this.#refresh !== null) clearInterval(this.#refresh);
    this.#refresh = null;
    this.#outage?.close();
    await this.#flushing;
    const cache = this.#cache;
    if (cache === null) return;
    if (!keepKeys) {
      for (const d of this.#defs.values()) {
        if (d.shared) await cache.remove(this.#keyOf(d)).catch(() => undefined);
      }
    } else {
      await this.flush();
    }
    this.#cache = null;
  }

  #keyOf(p: DlgProfile): string {
    return `dlg_prof:${p.name}:${this.#nodeId}`;
  }

  async #write(): Promise<void> {
    const cache = this.#cache;
    if (cache === null || this.#outage?.down === true) return; // the reconcile after the outage writes them
    while (this.#dirty.size > 0) {
      const p = this.#dirty.values().next().value as DlgProfile;
      this.#dirty.delete(p);
      const obj: Record<string, number> = {};
      for (const [v, n] of p.published) obj[v] = n;
      try {
        await cache.set(this.#keyOf(p), JSON.stringify(obj), this.#ttl);
      } catch (err) {
        // The periodic refresh (or the outage probe's reconcile) writes it again once cachedb is back.
        this.#dirty.add(p);
        if (!this.cachedbDown) this.log.warn({ err, profile: p.name }, 'cannot publish profile counts to cachedb');
        this.#outage?.enter(err);
        return;
      }
    }
  }

  #drop(dlg: Dlg, l: ProfileLink): void {
    const set = l.profile.members.get(l.value);
    if (set !== undefined) {
      set.delete(dlg);
      if (set.size === 0) l.profile.members.delete(l.value);
    }
    if (l.published) this.#bump(l.profile, l.value, -1);
    this.onLink?.(l.profile, l.value, l.replicated, -1);
  }

  #bump(p: DlgProfile, v: string, by: number): void {
    const n = (p.published.get(v) ?? 0) + by;
    if (n <= 0) p.published.delete(v);
    else p.published.set(v, n);
    if (this.#cache !== null) {
      this.#dirty.add(p);
      void this.flush();
    }
  }
}

function parseCounts(json: string): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const o: unknown = JSON.parse(json);
    if (o !== null && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && v > 0) out.set(k, v);
    }
  } catch {
    // A foreign or broken key counts for nothing.
  }
  return out;
}

/** The `profiles` column: `name=value` pairs (value percent-encoded) joined by `;`. */
export function serializeProfiles(links: readonly ProfileLink[] | null): string {
  if (links === null || links.length === 0) return '';
  return links.map((l) => `${l.profile.name}=${encodeURIComponent(l.value)}`).join(';');
}

export function parseProfilesColumn(s: string): { name: string; value: string }[] {
  if (s === '') return [];
  const out: { name: string; value: string }[] = [];
  for (const item of s.split(';')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    out.push({ name: item.slice(0, eq), value: decodeURIComponent(item.slice(eq + 1)) });
  }
  return out;
}
