/**
 * The statistics registry: OpenSIPS-style counters and gauges grouped by module.
 *
 * Every stat is a small object holding its value in a plain field, so `inc()` on the hot path is a
 * field increment: modules keep the handle returned at registration and never look a stat up by name.
 * Names are only resolved by MI (`get_statistics`) and the Prometheus scrape, which are rare.
 */
import type { Counter, Gauge, StatInfo, StatsRegistry } from './types.js';

/** Error with a stable code, so callers and tests can match on it rather than on wording. */
export class StatsError extends Error {
  constructor(
    readonly code: 'E_STAT_DUPLICATE' | 'E_STAT_NAME',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'StatsError';
  }
}

/** What the registry keeps for each stat, whatever its kind. */
export interface StatEntry {
  readonly module: string;
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
  readonly help: string;
  readonly noReset: boolean;
  /** OpenSIPS calls counters "incremental"; gauges and computed stats are not. */
  readonly incremental: boolean;
  get(): number;
  reset(): void;
}

class CounterStat implements Counter, StatEntry {
  value = 0;
  readonly kind = 'counter' as const;
  readonly incremental = true;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly help: string,
    readonly noReset: boolean,
  ) {}
  inc(by = 1): void {
    this.value += by;
  }
  get(): number {
    return this.value;
  }
  reset(): void {
    this.value = 0;
  }
}

class GaugeStat implements Gauge, StatEntry {
  value = 0;
  readonly kind = 'gauge' as const;
  readonly incremental = false;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly help: string,
    readonly noReset: boolean,
  ) {}
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  get(): number {
    return this.value;
  }
  reset(): void {
    this.value = 0;
  }
}

/** OpenSIPS STAT_IS_FUNC: read on demand, never reset (there is nothing stored to reset). */
class ComputedStat implements StatEntry {
  readonly kind = 'gauge' as const;
  readonly incremental = false;
  readonly noReset = true;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  get(): number {
    return this.read();
  }
  reset(): void {}
}

function info(e: StatEntry): StatInfo {
  return { module: e.module, name: e.name, kind: e.kind, help: e.help, noReset: e.noReset, value: e.get() };
}

export class Stats implements StatsRegistry {
  /** module → name → stat, in registration order (Maps keep insertion order, so listings are stable). */
  private readonly groups = new Map<string, Map<string, StatEntry>>();

  counter(module: string, name: string, help: string, opts?: { noReset?: boolean }): Counter {
    return this.add(new CounterStat(module, name, help, opts?.noReset === true));
  }

  gauge(module: string, name: string, help: string, opts?: { noReset?: boolean }): Gauge {
    return this.add(new GaugeStat(module, name, help, opts?.noReset === true));
  }

  computed(module: string, name: string, help: string, read: () => number): void {
    this.add(new ComputedStat(module, name, help, read));
  }

  query(patterns: readonly string[]): StatInfo[] {
    return this.match(patterns).map(info);
  }

  list(): StatInfo[] {
    return this.entries().map(info);
  }

  reset(patterns: readonly string[]): void {
    for (const e of this.match(patterns)) if (!e.noReset) e.reset();
  }

  /** Every stat in registration order (module by module). */
  entries(): StatEntry[] {
    const out: StatEntry[] = [];
    for (const g of this.groups.values()) for (const e of g.values()) out.push(e);
    return out;
  }

  /**
   * Resolves `get_statistics` patterns: `all`, `module:` (the whole group), `module:name`, or a bare
   * `name` (that name in any module). Unknown names match nothing; each stat appears once.
   */
  match(patterns: readonly string[]): StatEntry[] {
    const seen = new Set<StatEntry>();
    for (const raw of patterns) {
      const p = raw.trim();
      if (p === 'all') {
        for (const e of this.entries()) seen.add(e);
        continue;
      }
      const colon = p.indexOf(':');
      if (colon < 0) {
        for (const g of this.groups.values()) {
          const e = g.get(p);
          if (e) seen.add(e);
        }
        continue;
      }
      const g = this.groups.get(p.slice(0, colon));
      if (!g) continue;
      const name = p.slice(colon + 1);
      if (name === '') for (const e of g.values()) seen.add(e);
      else {
        const e = g.get(name);
        if (e) seen.add(e);
      }
    }
    return [...seen];
  }

  private add<T extends StatEntry>(e: T): T {
    // `:` separates module and name in MI patterns, so neither part may hold one.
    if (e.module === '' || e.name === '' || e.module.includes(':') || e.name.includes(':') || e.name === 'all') {
      throw new StatsError('E_STAT_NAME', `invalid statistic name "${e.module}:${e.name}"`);
    }
    let g = this.groups.get(e.module);
    if (!g) {
      g = new Map();
      this.groups.set(e.module, g);
    }
    if (g.has(e.name)) {
      throw new StatsError('E_STAT_DUPLICATE', `statistic "${e.module}:${e.name}" is already registered`);
    }
    g.set(e.name, e);
    return e;
  }
}
