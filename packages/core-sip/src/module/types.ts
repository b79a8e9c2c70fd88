/**
 * The module contract: what a tsips module declares once, and what the loader gives it back.
 *
 * A module is the TypeScript counterpart of an OpenSIPS `struct module_exports`: name, dependencies,
 * modparams (by their OpenSIPS names), script functions, MI commands, statistics, events, lifecycle
 * hooks, plus a typed API that other modules bind the way `load_tm_api()` / `load_dlg_api()` do.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { MiParams } from '../mi/types.js';
import type { CoreServices } from '../server/types.js';
import type { RouteContext } from '../script/context.js';
import type { StatsRegistry, Counter, Gauge } from '../stats/types.js';
import type { EventRegistry } from '../events/types.js';
import type { Db, CacheDb, DbDriver, CacheDbDriver, TableSchema } from '../storage/types.js';

/**
 * APIs published by modules. A module that exports an API augments this interface:
 *
 * ```ts
 * declare module '@core/sip' { interface ModuleApis { tm: TmApi } }
 * ```
 * and a consumer that declared `tm` among its deps gets it typed with `ctx.api('tm')`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty on purpose: each module fills it by declaration merging
export interface ModuleApis {}

/**
 * Modparams accepted per module name, as the operator writes them in the config (`modparams.tm.fr_timer`).
 * Augmented by each module: `interface ModuleParamsMap { tm: z.input<typeof tmParams> }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty on purpose: each module fills it by declaration merging
export interface ModuleParamsMap {}

/** How bad the absence of a dependency is, as in OpenSIPS `DEP_ABORT` / `DEP_WARN` / `DEP_SILENT`. */
export type OnMissing = 'abort' | 'warn' | 'ignore';

export interface ModuleDep<P = Record<string, unknown>> {
  /** Name of the module depended upon. */
  module: string;
  /** Default `abort`: the server refuses to start without it. `warn`/`ignore` make it a soft dependency. */
  onMissing?: OnMissing;
  /**
   * Param-dependent dependency (dialog needs a DB only when `db_mode != 0`): when given, the dependency
   * is only required if this returns a non-empty string; the string says why (e.g. `db_mode=1`).
   */
  requiredWhen?(params: P): string | false;
}

/** Zod shape of a module's modparams, keyed by their OpenSIPS names. */
export type ParamShape = z.ZodRawShape;
export type ParamsOf<S extends ParamShape> = z.output<z.ZodObject<S>>;

export type StatKind = 'counter' | 'gauge';
export interface StatSpec {
  kind: StatKind;
  help: string;
  /** Not reset by `reset_statistics` (OpenSIPS STAT_NO_RESET), e.g. gauges of live objects. */
  noReset?: boolean;
}

export interface EventSpec {
  help: string;
  /** Names of the event's parameters, as OpenSIPS documents them. */
  params: readonly string[];
}

/** Which route types a script function may be called from (OpenSIPS REQUEST_ROUTE | FAILURE_ROUTE …). */
export type RouteType = 'request' | 'onreply' | 'failure' | 'branch' | 'local' | 'error' | 'event' | 'startup' | 'timer';

export interface ModuleContext<P extends ParamShape = ParamShape> {
  readonly name: string;
  /** Validated modparams, defaults applied. */
  readonly params: ParamsOf<P>;
  readonly log: Logger;
  readonly stats: ModuleStats;
  readonly events: EventRegistry;
  /**
   * The API of a module this module declared as a dependency (`load_xxx_api()`). Throws
   * `E_API_UNDECLARED` if `name` is not among the deps and `E_API_MISSING` if it is not loaded.
   */
  api<K extends keyof ModuleApis>(name: K): ModuleApis[K];
  /** Same, for a soft dependency: `undefined` when the module is not loaded. */
  apiOptional<K extends keyof ModuleApis>(name: K): ModuleApis[K] | undefined;
  /** Opens a DB connection for `db_url` (in-memory when `url` is undefined); drivers register by scheme. */
  db(url: string | undefined): Promise<Db>;
  /** Opens a cachedb connection for `cachedb_url` (in-memory when `url` is undefined). */
  cachedb(url: string | undefined): Promise<CacheDb>;
  /** The server this module runs in: transports, routes, core hooks. */
  readonly core: CoreServices;
  /**
   * The slot registry for one kind of object (`transaction`, `dialog`), shared by every module of the
   * server. The owning module creates each object's slot array with it; others register their slots,
   * during init only: the loader seals every registry before start.
   */
  slots<Owner extends SlotOwner>(kind: string): Slots<Owner>;
}

/** An object that carries per-module slots (a transaction, a dialog): one fixed-size array. */
export interface SlotOwner {
  readonly slots: unknown[];
}

/** One module's slot on every object of a kind; keep the handle, it is an array index. */
export interface Slot<T, Owner extends SlotOwner = SlotOwner> {
  readonly name: string;
  get(owner: Owner): T;
  set(owner: Owner, value: T): void;
}

export interface Slots<Owner extends SlotOwner = SlotOwner> {
  readonly kind: string;
  /** Registers a slot; every object created afterwards starts with `init()` in it. Throws E_SLOT_AFTER_START once sealed. */
  register<T>(name: string, init: () => T): Slot<T, Owner>;
  /** The slot array for a new owner object (`this.slots = registry.create()` in its constructor). */
  create(): unknown[];
}

export interface ModuleStats {
  counter(name: string): Counter;
  gauge(name: string): Gauge;
  readonly registry: StatsRegistry;
}

/**
 * What a script function returns: an OpenSIPS code (> 0 true, < 0 false, 0 stops the script), or, for the
 * functions that stand for pseudo-variables (`DLG_id()`, `T_reply_code()`…), the variable's value.
 */
export type ScriptResult = number | string | undefined;

export interface ScriptFunctionSpec<S> {
  /** Route types the function may be used in; all when omitted. */
  routes?: readonly RouteType[];
  /**
   * OpenSIPS return convention: > 0 true, < 0 false (the value says why), 0 stops the script.
   * `ctx` is the route context of the message being processed.
   */
  handler(state: S, ctx: RouteContext, ...args: never[]): ScriptResult | Promise<ScriptResult>;
  help?: string;
}

export interface MiCommandSpec<S> {
  help: string;
  /** Parameter names: required ones plain, optional ones with a trailing `?` (`callid`, `from_tag?`). */
  params?: readonly string[];
  /** The reply's result, or a Promise of it (awaited). */
  handler(state: S, params: MiParams): unknown;
}

export interface ModuleDefinition<Name extends string = string, S = unknown, P extends ParamShape = ParamShape, A = unknown> {
  readonly name: Name;
  readonly version: string;
  readonly description?: string;
  readonly deps?: readonly ModuleDep<ParamsOf<P>>[];
  readonly params?: P;
  readonly stats?: Readonly<Record<string, StatSpec>>;
  /** DB tables this module owns, with OpenSIPS's names (`tsips db create <db_url>` creates them). */
  readonly tables?: readonly TableSchema[];
  readonly events?: Readonly<Record<string, EventSpec>>;
  /**
   * Storage drivers this module provides (db_mysql, cachedb_redis), built from its validated params and
   * registered before any module's `init`, so every module can open its `db_url` / `cachedb_url` in init.
   */
  drivers?(params: ParamsOf<P>, log: Logger): { db?: DbDriver; cachedb?: CacheDbDriver };
  /** mod_init: build the module's state. Deps are initialised before; their APIs are bound through `ctx.api`. */
  init(ctx: ModuleContext<P>): S | Promise<S>;
  /** The API other modules bind (ModuleApis[Name]). */
  api?(state: S): A;
  readonly functions?: Readonly<Record<string, ScriptFunctionSpec<S>>>;
  readonly mi?: Readonly<Record<string, MiCommandSpec<S>>>;
  /** child_init: sockets are listening, routes are armed. */
  start?(state: S): void | Promise<void>;
  /** destroy: flush state (e.g. dialogs to DB). Called in reverse dependency order and awaited. */
  stop?(state: S): void | Promise<void>;
  /**
   * How long `stop` may take, ms, when this module needs another budget than the loader's (dialog sizes
   * its shutdown flush by a param); the loader's stopTimeoutMs when omitted.
   */
  stopTimeoutMs?(state: S): number | undefined;
}

/** Declares a module; only fixes its types, the loader does the rest. */
export function defineModule<Name extends string, S, P extends ParamShape = Record<never, never>, A = undefined>(
  def: ModuleDefinition<Name, S, P, A>,
): ModuleDefinition<Name, S, P, A> {
  return def;
}

/**
 * Any module, whatever its state and API types. Methods are bivariant in their parameters, so a
 * concrete module fits without `any`; S is `unknown` (not `never`) because `init` returns S, and a
 * return type must widen: with `never`, `init` would have to return `Promise<never>`.
 */
export type AnyModule = ModuleDefinition<string, unknown, ParamShape, unknown>;
