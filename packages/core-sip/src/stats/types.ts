/** Statistics registered under OpenSIPS names (`module:name` in MI, `tsips_<module>_<name>` in Prometheus). */
export interface Counter {
  readonly name: string;
  inc(by?: number): void;
  get(): number;
}
export interface Gauge {
  readonly name: string;
  set(v: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
  get(): number;
}

export interface StatInfo {
  module: string;
  name: string;
  kind: 'counter' | 'gauge';
  help: string;
  noReset: boolean;
  value: number;
}

export interface StatsRegistry {
  /** Registers a counter; stat names are unique per module. */
  counter(module: string, name: string, help: string, opts?: { noReset?: boolean }): Counter;
  gauge(module: string, name: string, help: string, opts?: { noReset?: boolean }): Gauge;
  /** A gauge whose value is computed on read (OpenSIPS STAT_IS_FUNC), e.g. `inuse_transactions`. */
  computed(module: string, name: string, help: string, read: () => number): void;
  /** Lookup by `name`, `module:name` or `module:` (every stat of a module) or `all`, as `get_statistics` does. */
  query(patterns: readonly string[]): StatInfo[];
  list(): StatInfo[];
  /** Resets the named stats (patterns as above) except those flagged noReset. */
  reset(patterns: readonly string[]): void;
}
