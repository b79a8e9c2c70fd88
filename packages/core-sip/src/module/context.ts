/**
 * What a module sees of the server in `init(ctx)`: its validated params, a logger tagged with its name,
 * its own declared stats, the APIs of the modules it declared as deps (`load_xxx_api()` with types),
 * storage by URL, the core services and the shared slot registries.
 */
import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { EventRegistry } from '../events/types.js';
import type { CoreServices } from '../server/types.js';
import type { Counter, Gauge, StatsRegistry } from '../stats/types.js';
import type { StorageRegistry } from '../storage/registry.js';
import type { CacheDb, Db } from '../storage/types.js';
import type { ModuleApis, ModuleContext, ModuleStats, ParamShape, ParamsOf, SlotOwner, Slots } from './types.js';

/** How a context reaches other modules; the loader implements it. */
export interface ContextHost {
  readonly storage: StorageRegistry;
  readonly events: EventRegistry;
  readonly core: CoreServices;
  /** `undefined` when `name` is not loaded; `hasApi` false when it exports none. */
  apiOf(name: string): { hasApi: boolean; api: unknown } | undefined;
  slots(kind: string): Slots<SlotOwner>;
}

export type StatHandle = { kind: 'counter'; stat: Counter } | { kind: 'gauge'; stat: Gauge };

export class ModuleStatsImpl implements ModuleStats {
  constructor(
    private readonly module: string,
    private readonly handles: ReadonlyMap<string, StatHandle>,
    readonly registry: StatsRegistry,
  ) {}

  counter(name: string): Counter {
    const h = this.handles.get(name);
    if (h?.kind !== 'counter') throw errors.statUndeclared(this.module, name, 'counter');
    return h.stat;
  }

  gauge(name: string): Gauge {
    const h = this.handles.get(name);
    if (h?.kind !== 'gauge') throw errors.statUndeclared(this.module, name, 'gauge');
    return h.stat;
  }
}

export class ModuleContextImpl implements ModuleContext<ParamShape> {
  readonly events: EventRegistry;
  readonly core: CoreServices;

  constructor(
    readonly name: string,
    readonly params: ParamsOf<ParamShape>,
    readonly log: Logger,
    readonly stats: ModuleStats,
    /** Every module named in `deps`, hard or soft. */
    private readonly declaredDeps: ReadonlySet<string>,
    private readonly host: ContextHost,
  ) {
    this.events = host.events;
    this.core = host.core;
  }

  api<K extends keyof ModuleApis>(name: K): ModuleApis[K] {
    const found = this.lookup(String(name));
    if (found === undefined) throw errors.apiMissing(this.name, String(name));
    return found.api as ModuleApis[K];
  }

  apiOptional<K extends keyof ModuleApis>(name: K): ModuleApis[K] | undefined {
    return this.lookup(String(name))?.api as ModuleApis[K] | undefined;
  }

  db(url: string | undefined): Promise<Db> {
    return this.host.storage.openDb(url);
  }

  cachedb(url: string | undefined): Promise<CacheDb> {
    return this.host.storage.openCacheDb(url);
  }

  slots<Owner extends SlotOwner>(kind: string): Slots<Owner> {
    return this.host.slots(kind);
  }

  // The one place an API is typed from a lookup: ModuleApis[K] is what module K declared it exports.
  private lookup(name: string): { api: unknown } | undefined {
    if (!this.declaredDeps.has(name)) throw errors.apiUndeclared(this.name, name);
    const found = this.host.apiOf(name);
    if (found !== undefined && !found.hasApi) throw errors.apiNone(this.name, name);
    return found;
  }
}
