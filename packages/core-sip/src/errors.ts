/**
 * Coded errors of @core/sip (fastify's FST_ERR_… habit): callers and tests match on `code`, operators
 * read `message`, which names the module, param or URL at fault. Every message is built here, by one
 * factory per code, so the wording lives in one place and tests can pin it.
 */

export const ErrorCodes = [
  'E_MODULE_DEP_MISSING',
  'E_MODULE_DEP_CYCLE',
  'E_MODULE_DUPLICATE',
  'E_MODULE_PARAM',
  'E_MODULE_UNKNOWN_PARAM',
  'E_MODULE_PARAM_UNKNOWN_MODULE',
  'E_MODULE_INIT',
  'E_MODULE_INIT_TIMEOUT',
  'E_MODULE_START',
  'E_MODULE_STATE',
  'E_MODULE_STAT_UNDECLARED',
  'E_API_UNDECLARED',
  'E_API_MISSING',
  'E_API_NONE',
  'E_DEP_PARAM',
  'E_DB_NO_DRIVER',
  'E_CACHEDB_NO_DRIVER',
  'E_DB_URL',
  'E_DRIVER_DUPLICATE',
  'E_STORAGE',
  'E_SLOT_AFTER_START',
  'E_FUNCTION_DUPLICATE',
  'E_CONFIG',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export class TsipsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TsipsError';
  }
}

/** True when `e` is a TsipsError, optionally with the given code. */
export function isTsipsError(e: unknown, code?: ErrorCode): e is TsipsError {
  return e instanceof TsipsError && (code === undefined || e.code === code);
}

/** Quotes a value the way it appeared in the config: strings in double quotes, the rest as JSON. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  try {
    return JSON.stringify(v);
  } catch {
    // A cycle or a BigInt inside: say what kind of object it is.
    return Object.prototype.toString.call(v);
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

export const errors = {
  moduleDepMissing: (module: string, dep: string) => new TsipsError('E_MODULE_DEP_MISSING', `module "${module}" requires "${dep}", which is not loaded`),

  /** `path` starts and ends with the same module: `['dialog', 'tm', 'dialog']`. */
  moduleDepCycle: (path: readonly string[]) => new TsipsError('E_MODULE_DEP_CYCLE', `dependency cycle: ${path.join(' → ')}`),

  moduleDuplicate: (module: string) => new TsipsError('E_MODULE_DUPLICATE', `module "${module}" is loaded twice`),

  /** `problem` reads after the colon: `expected a positive integer, got "abc"`. */
  moduleParam: (module: string, param: string, problem: string) => new TsipsError('E_MODULE_PARAM', `module "${module}" param "${param}": ${problem}`),

  moduleUnknownParam: (module: string, param: string, suggestion?: string) =>
    new TsipsError('E_MODULE_UNKNOWN_PARAM', `module "${module}" has no param "${param}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`),

  modparamUnknownModule: (module: string, suggestion?: string) =>
    new TsipsError('E_MODULE_PARAM_UNKNOWN_MODULE', `modparams given for module "${module}", which is not loaded${suggestion ? `; did you mean "${suggestion}"?` : ''}`),

  moduleInit: (module: string, cause: unknown) => new TsipsError('E_MODULE_INIT', `module "${module}" failed to initialise: ${causeText(cause)}`, { cause }),

  moduleInitTimeout: (module: string, ms: number) => new TsipsError('E_MODULE_INIT_TIMEOUT', `module "${module}" init did not finish within ${ms} ms`),

  moduleStart: (module: string, cause: unknown) => new TsipsError('E_MODULE_START', `module "${module}" failed to start: ${causeText(cause)}`, { cause }),

  moduleStartTimeout: (module: string, ms: number) => new TsipsError('E_MODULE_START', `module "${module}" start did not finish within ${ms} ms`),

  /** The loader was used out of order (start before init, state of a module not initialised…). */
  moduleState: (what: string) => new TsipsError('E_MODULE_STATE', what),

  statUndeclared: (module: string, stat: string, kind: string) =>
    new TsipsError('E_MODULE_STAT_UNDECLARED', `module "${module}" asked for ${kind} "${stat}", which it does not declare in its stats`),

  apiUndeclared: (module: string, api: string) =>
    new TsipsError('E_API_UNDECLARED', `module "${module}" asked for the API of "${api}", which it does not declare as a dependency`),

  apiMissing: (module: string, api: string) => new TsipsError('E_API_MISSING', `module "${module}" needs the API of "${api}", which is not loaded`),

  apiNone: (module: string, api: string) => new TsipsError('E_API_NONE', `module "${module}" asked for the API of "${api}", which exports no API`),

  /** `reason` is what the dep's `requiredWhen` returned, e.g. `db_mode=1`. */
  depParam: (module: string, dep: string, reason: string) => new TsipsError('E_DEP_PARAM', `module "${module}" requires "${dep}" because ${reason}`),

  /** `maskedUrl` must already have its password masked. */
  dbNoDriver: (scheme: string, maskedUrl: string) =>
    new TsipsError('E_DB_NO_DRIVER', `no DB driver for scheme "${scheme}" in db_url "${maskedUrl}": load @mod/db-${scheme}`),

  cachedbNoDriver: (scheme: string, maskedUrl: string) =>
    new TsipsError('E_CACHEDB_NO_DRIVER', `no cachedb driver for scheme "${scheme}" in cachedb_url "${maskedUrl}": load @mod/cachedb-${scheme}`),

  dbUrl: (maskedUrl: string, problem: string) => new TsipsError('E_DB_URL', `malformed storage URL "${maskedUrl}": ${problem}`),

  driverDuplicate: (kind: 'DB' | 'cachedb', scheme: string) => new TsipsError('E_DRIVER_DUPLICATE', `two ${kind} drivers registered for scheme "${scheme}"`),

  /** A storage operation the backend refuses (duplicate key, unknown column, counter on a non-number). */
  storage: (url: string, problem: string) => new TsipsError('E_STORAGE', `${url}: ${problem}`),

  slotAfterStart: (kind: string, slot: string) =>
    new TsipsError('E_SLOT_AFTER_START', `slot "${slot}" registered on ${kind} after start: slots may only be registered during init`),

  functionDuplicate: (name: string, first: string, second: string) =>
    new TsipsError('E_FUNCTION_DUPLICATE', `script function "${name}" is exported by both "${first}" and "${second}"`),

  config: (message: string) => new TsipsError('E_CONFIG', message),
} as const;
