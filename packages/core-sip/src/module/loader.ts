/**
 * The module loader: OpenSIPS's module_exports processing with fastify/avvio's boot discipline.
 *
 * init(): checks names and modparams, resolves deps (abort / warn / ignore, param-dependent ones),
 * orders modules so each comes after its deps (a cycle is reported with its path), registers storage
 * drivers, stats, events and MI commands, then runs every `init` in order under a timeout and binds
 * the APIs. start() seals the slot registries and runs `start` in order; stop() runs `stop` in reverse
 * order, each awaited, a failing one logged without stopping the rest, then closes storage.
 * A failed init or start leaves the loader as it was: call stop() to undo what did run.
 */
import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { EventRegistry } from '../events/types.js';
import type { LogControl } from '../log.js';
import { MiError, MiErrorCode, type MiRegistry } from '../mi/types.js';
import type { CoreServices } from '../server/types.js';
import type { StatsRegistry } from '../stats/types.js';
import { StorageRegistry } from '../storage/registry.js';
import { ModuleContextImpl, ModuleStatsImpl, type ContextHost, type StatHandle } from './context.js';
import { validateParams } from './params.js';
import { SlotRegistry } from './slots.js';
import { suggest } from './suggest.js';
import type { AnyModule, ModuleDefinition, OnMissing, ParamShape, ScriptFunctionSpec, SlotOwner, Slots } from './types.js';

export interface ModuleLoaderOptions {
  /** In declaration order: modules with no dependency between them initialise in this order. */
  modules: readonly AnyModule[];
  /** `modparams.<module>.<param>` from the config. */
  modparams?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  log: Logger;
  /** When given, module loggers come from it so MI `log_level` reaches them; else `log.child({ module })`. */
  logControl?: Pick<LogControl, 'child'>;
  stats: StatsRegistry;
  events: EventRegistry;
  mi: MiRegistry;
  core: CoreServices;
  /** Owned by the loader from now on: closed after every module stopped. A new one when omitted. */
  storage?: StorageRegistry;
  /** Per module `init` (and `start`); default 10 s. */
  initTimeoutMs?: number;
  /** Per module `stop`; default 10 s. */
  stopTimeoutMs?: number;
}

/** A module's functions, with its state, for the script engine to bind. */
export interface LoadedFunction {
  module: string;
  name: string;
  spec: ScriptFunctionSpec<unknown>;
  state: unknown;
}

export interface LoadedModuleInfo {
  name: string;
  version: string;
  description: string | undefined;
  deps: { module: string; onMissing: OnMissing; loaded: boolean }[];
}

export interface ModuleTiming {
  module: string;
  initMs: number;
  /** Undefined until the loader started. */
  startMs: number | undefined;
}

/** The definition seen with unknown state and API: methods are bivariant, so AnyModule widens to it. */
type Def = ModuleDefinition<string, unknown, ParamShape, unknown>;

interface Rec {
  readonly def: Def;
  readonly index: number;
  params: Record<string, unknown>;
  /** Every module named in deps, hard or soft, loaded or not. */
  readonly declared: Set<string>;
  /** Loaded deps, the edges of the ordering. */
  readonly edges: Rec[];
  initialised: boolean;
  state: unknown;
  api: unknown;
  initMs: number;
  startMs: number | undefined;
  /** The module's declared stats, registered before any init. */
  stats: Map<string, StatHandle>;
}

/** How long a module's init, start or stop may take when the loader is given no timeout. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export class ModuleLoader implements ContextHost {
  readonly storage: StorageRegistry;
  readonly events: EventRegistry;
  readonly core: CoreServices;
  private readonly log: Logger;
  private readonly initTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly byName = new Map<string, Rec>();
  private ordered: Rec[] = [];
  private fns: { module: string; name: string; spec: ScriptFunctionSpec<unknown>; rec: Rec }[] = [];
  private readonly slotRegistries = new Map<string, SlotRegistry<SlotOwner>>();
  private phase: 'new' | 'initialising' | 'initialised' | 'starting' | 'started' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: ModuleLoaderOptions) {
    this.storage = opts.storage ?? new StorageRegistry();
    this.events = opts.events;
    this.core = opts.core;
    this.log = opts.log;
    this.initTimeoutMs = opts.initTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async init(): Promise<void> {
    if (this.phase !== 'new') throw errors.moduleState('ModuleLoader.init() called twice');
    this.phase = 'initialising';
    this.collect();
    this.resolveDeps();
    this.ordered = this.sort();
    this.fns = this.collectFunctions();
    for (const r of this.ordered) this.registerDrivers(r);
    for (const r of this.ordered) this.registerDeclarations(r);
    for (const r of this.ordered) await this.initOne(r);
    this.phase = 'initialised';
    this.log.info(
      { modules: this.ordered.map((r) => ({ module: r.def.name, initMs: r.initMs })) },
      `${this.ordered.length} modules initialised in ${round(sum(this.ordered, (r) => r.initMs))} ms`,
    );
  }

  async start(): Promise<void> {
    if (this.phase !== 'initialised') throw errors.moduleState(`ModuleLoader.start() called while ${this.phase}`);
    this.phase = 'starting';
    for (const s of this.slotRegistries.values()) s.seal();
    for (const r of this.ordered) {
      const t0 = performance.now();
      if (r.def.start) {
        const hook = r.def.start.bind(r.def);
        await withTimeout(
          () => hook(r.state),
          this.initTimeoutMs,
          () => errors.moduleStartTimeout(r.def.name, this.initTimeoutMs),
          (e) => errors.moduleStart(r.def.name, e),
        );
      }
      r.startMs = performance.now() - t0;
      this.log.debug({ module: r.def.name, ms: round(r.startMs) }, 'module started');
    }
    this.phase = 'started';
    this.log.info(
      { modules: this.ordered.map((r) => ({ module: r.def.name, startMs: round(r.startMs ?? 0) })) },
      `${this.ordered.length} modules started in ${round(sum(this.ordered, (r) => r.startMs ?? 0))} ms`,
    );
  }

  /** Stops initialised modules in reverse order, then closes storage. Idempotent: later calls share the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  /** Module names in load (init) order. */
  order(): string[] {
    return this.ordered.map((r) => r.def.name);
  }

  timings(): ModuleTiming[] {
    return this.ordered.map((r) => ({ module: r.def.name, initMs: r.initMs, startMs: r.startMs }));
  }

  /** Every exported script function with its module's state, in load order. */
  functions(): LoadedFunction[] {
    this.requireInitialised('functions()');
    return this.fns.map((f) => ({ module: f.module, name: f.name, spec: f.spec, state: f.rec.state }));
  }

  /** Loaded modules in load order, for MI `which` and help. */
  modules(): LoadedModuleInfo[] {
    return this.ordered.map((r) => ({
      name: r.def.name,
      version: r.def.version,
      description: r.def.description,
      deps: (r.def.deps ?? []).map((d) => ({
        module: d.module,
        onMissing: d.onMissing ?? 'abort',
        loaded: this.byName.has(d.module),
      })),
    }));
  }

  /** A module's state as its init returned it (tests, diagnostics). */
  state(name: string): unknown {
    const r = this.byName.get(name);
    if (!r?.initialised) throw errors.moduleState(`module "${name}" is not initialised`);
    return r.state;
  }

  /** `undefined` when `name` is not loaded; throws if it is loaded but not yet initialised. */
  apiOf(name: string): { hasApi: boolean; api: unknown } | undefined {
    const r = this.byName.get(name);
    if (!r) return undefined;
    if (!r.initialised) throw errors.moduleState(`the API of "${name}" is asked for before its init ran`);
    return { hasApi: r.def.api !== undefined, api: r.api };
  }

  /** The slot registry for a kind of object, created on first use; sealed at start. */
  slots(kind: string): Slots<SlotOwner> {
    let s = this.slotRegistries.get(kind);
    if (!s) {
      s = new SlotRegistry<SlotOwner>(kind);
      if (this.phase === 'starting' || this.phase === 'started') s.seal();
      this.slotRegistries.set(kind, s);
    }
    return s;
  }

  private collect(): void {
    this.opts.modules.forEach((m, index) => {
      const def: Def = m;
      if (this.byName.has(def.name)) throw errors.moduleDuplicate(def.name);
      this.byName.set(def.name, {
        def,
        index,
        params: {},
        declared: new Set((def.deps ?? []).map((d) => d.module)),
        edges: [],
        initialised: false,
        state: undefined,
        api: undefined,
        initMs: 0,
        startMs: undefined,
        stats: new Map(),
      });
    });
    const modparams = this.opts.modparams ?? {};
    for (const name of Object.keys(modparams)) {
      if (!this.byName.has(name)) throw errors.modparamUnknownModule(name, suggest(name, this.byName.keys()));
    }
    for (const r of this.byName.values()) r.params = validateParams(r.def.name, r.def.params, modparams[r.def.name]);
  }

  private resolveDeps(): void {
    for (const r of this.byName.values()) {
      for (const dep of r.def.deps ?? []) {
        const target = this.byName.get(dep.module);
        if (target) {
          if (!r.edges.includes(target)) r.edges.push(target);
          continue;
        }
        const onMissing = dep.onMissing ?? 'abort';
        const reason = dep.requiredWhen ? dep.requiredWhen(r.params) : undefined;
        if (reason === false || reason === '') continue; // not needed with these params
        if (onMissing === 'ignore') continue;
        const err = reason === undefined ? errors.moduleDepMissing(r.def.name, dep.module) : errors.depParam(r.def.name, dep.module, reason);
        if (onMissing === 'abort') throw err;
        this.log.warn({ module: r.def.name, dep: dep.module }, err.message);
      }
      // Deps are visited in declaration order so independent modules keep the order they were given in.
      r.edges.sort((a, b) => a.index - b.index);
    }
  }

  /**
   * Depth-first in declaration order: each module pulls its not yet placed deps in just before itself.
   * The DFS stack is the path of a cycle when one closes.
   */
  private sort(): Rec[] {
    const out: Rec[] = [];
    const done = new Set<Rec>();
    const stack: Rec[] = [];
    const visit = (r: Rec): void => {
      if (done.has(r)) return;
      const at = stack.indexOf(r);
      if (at >= 0) throw errors.moduleDepCycle([...stack.slice(at), r].map((x) => x.def.name));
      stack.push(r);
      for (const d of r.edges) visit(d);
      stack.pop();
      done.add(r);
      out.push(r);
    };
    for (const r of this.byName.values()) visit(r);
    return out;
  }

  private collectFunctions(): typeof this.fns {
    const owner = new Map<string, string>();
    const out: typeof this.fns = [];
    for (const r of this.ordered) {
      for (const [name, spec] of Object.entries(r.def.functions ?? {})) {
        const first = owner.get(name);
        if (first !== undefined) throw errors.functionDuplicate(name, first, r.def.name);
        owner.set(name, r.def.name);
        out.push({ module: r.def.name, name, spec, rec: r });
      }
    }
    return out;
  }

  private registerDrivers(r: Rec): void {
    if (!r.def.drivers) return;
    const name = r.def.name;
    const d = r.def.drivers(r.params, this.opts.logControl?.child(name) ?? this.log.child({ module: name }));
    if (d.db) this.storage.registerDbDriver(d.db);
    if (d.cachedb) this.storage.registerCacheDbDriver(d.cachedb);
  }

  private registerDeclarations(r: Rec): void {
    const name = r.def.name;
    r.stats = this.registerStats(r);
    for (const [ev, spec] of Object.entries(r.def.events ?? {})) this.events.declare(name, ev, spec.help, spec.params);
    for (const [cmd, spec] of Object.entries(r.def.mi ?? {})) {
      this.opts.mi.register({
        module: name,
        name: cmd,
        help: spec.help,
        params: spec.params ?? [],
        handler: (p) => {
          if (!r.initialised) throw new MiError(MiErrorCode.Failure, `module "${name}" is not initialised`);
          return spec.handler(r.state, p);
        },
      });
    }
  }

  private registerStats(r: Rec): Map<string, StatHandle> {
    const handles = new Map<string, StatHandle>();
    const stats = this.opts.stats;
    for (const [stat, spec] of Object.entries(r.def.stats ?? {})) {
      const o = { noReset: spec.noReset ?? false };
      handles.set(
        stat,
        spec.kind === 'counter'
          ? { kind: 'counter', stat: stats.counter(r.def.name, stat, spec.help, o) }
          : { kind: 'gauge', stat: stats.gauge(r.def.name, stat, spec.help, o) },
      );
    }
    return handles;
  }

  private async initOne(r: Rec): Promise<void> {
    const name = r.def.name;
    const ctx = new ModuleContextImpl(
      name,
      r.params,
      this.opts.logControl?.child(name) ?? this.log.child({ module: name }),
      new ModuleStatsImpl(name, r.stats, this.opts.stats),
      r.declared,
      this,
    );
    const t0 = performance.now();
    const init = r.def.init.bind(r.def);
    r.state = await withTimeout(
      () => init(ctx),
      this.initTimeoutMs,
      () => errors.moduleInitTimeout(name, this.initTimeoutMs),
      (e) => errors.moduleInit(name, e),
    );
    if (r.def.api) {
      try {
        r.api = r.def.api(r.state);
      } catch (e) {
        throw errors.moduleInit(name, e);
      }
    }
    r.initialised = true;
    r.initMs = performance.now() - t0;
    this.log.debug({ module: name, ms: round(r.initMs) }, 'module initialised');
  }

  private async stopAll(): Promise<void> {
    for (const r of [...this.ordered].reverse()) {
      if (!r.initialised || !r.def.stop) continue;
      const hook = r.def.stop.bind(r.def);
      const t0 = performance.now();
      const budget = r.def.stopTimeoutMs?.(r.state) ?? this.stopTimeoutMs;
      try {
        await withTimeout(
          () => hook(r.state),
          budget,
          () => new Error(`stop did not finish within ${budget} ms`),
          (e) => e,
        );
        this.log.debug({ module: r.def.name, ms: round(performance.now() - t0) }, 'module stopped');
      } catch (e) {
        this.log.error({ module: r.def.name, err: e }, `module "${r.def.name}" failed to stop`);
      }
    }
    try {
      await this.storage.closeAll();
    } catch (e) {
      this.log.error({ err: e }, 'storage failed to close');
    }
  }

  private requireInitialised(what: string): void {
    if (this.phase === 'new' || this.phase === 'initialising') {
      throw errors.moduleState(`ModuleLoader.${what} called before init() finished`);
    }
  }
}

/**
 * Runs `fn` (sync or async), failing with `onTimeout()` after `ms`. The hook itself cannot be cancelled;
 * its late result is dropped. Errors it throws go through `wrap`.
 */
async function withTimeout<T>(fn: () => T | Promise<T>, ms: number, onTimeout: () => Error, wrap: (e: unknown) => unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = Promise.resolve().then(fn);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    });
    return await Promise.race([work.catch((e: unknown) => Promise.reject(wrap(e))), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let n = 0;
  for (const x of xs) n += f(x);
  return n;
}
