/**
 * Logging: one pino root logger (structured JSON, or readable lines on a terminal: log-format.ts) plus a control that changes the level of every
 * module logger at run time, which `log_level` over MI needs.
 *
 * pino children copy their parent's level when created, so changing the root alone would leave the
 * module loggers where they were; the control keeps (weak) references to the children it made and
 * updates them all. Disabled levels stay pino no-ops, so `log.debug()` costs nothing when off.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { LOG_FORMATS, parseLogFormat, prettyDestination, resolveLogFormat } from './log-format.js';

export interface LogControl {
  /** The current level name (`info`, `debug`…). */
  getLevel(): string;
  /** Sets the level of the root and of every logger made by `child`; throws on an unknown level. */
  setLevel(level: string): void;
  /** A logger for one module (`{"module":"tm",…}` on each line) that follows `setLevel`. */
  child(module: string): Logger;
}

/** pino's levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** OpenSIPS numeric levels (L_ALERT -3 … L_DBG 4) as pino levels; pino has no notice, so it becomes info. */
const OPENSIPS_LEVELS: Readonly<Record<string, LogLevel>> = {
  '-3': 'fatal',
  '-2': 'fatal',
  '-1': 'error',
  '1': 'warn',
  '2': 'info',
  '3': 'info',
  '4': 'debug',
};

/**
 * Reads a level as an operator may write it: a pino name (any case), an OpenSIPS number (`-1`, `4`),
 * or an OpenSIPS name (`alert`, `crit`, `err`, `notice`, `dbg`). Returns undefined when it is none of those.
 */
export function parseLogLevel(input: string | number): LogLevel | undefined {
  const s = String(input).trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(s)) return s as LogLevel;
  const num = OPENSIPS_LEVELS[s];
  if (num) return num;
  switch (s) {
    case 'alert':
    case 'crit':
      return 'fatal';
    case 'err':
      return 'error';
    case 'warning':
      return 'warn';
    case 'notice':
      return 'info';
    case 'dbg':
      return 'debug';
    default:
      return undefined;
  }
}

export interface CreateLoggerOptions {
  /** Default: `TSIPS_LOG_LEVEL`, else `info`. */
  level?: string;
  /** Where the lines go; default stdout. */
  destination?: DestinationStream;
  /**
   * `json`, `pretty` or `auto` (pretty when the lines go to stdout and it is a TTY). Default:
   * `TSIPS_LOG_FORMAT`, else `auto`; so a given `destination` gets JSON unless pretty is asked for.
   */
  format?: string;
  /** `name` field on every line. */
  name?: string;
}

export function createLogger(opts: CreateLoggerOptions = {}): { root: Logger; control: LogControl } {
  const wanted = opts.level ?? process.env['TSIPS_LOG_LEVEL'] ?? 'info';
  const level = parseLogLevel(wanted);
  if (!level) throw new Error(`E_LOG_LEVEL: unknown log level "${wanted}" (use ${LOG_LEVELS.join(', ')} or -3..4)`);
  const wantedFormat = opts.format ?? process.env['TSIPS_LOG_FORMAT'] ?? 'auto';
  const format = parseLogFormat(wantedFormat);
  if (!format) throw new Error(`E_LOG_FORMAT: unknown log format "${wantedFormat}" (use ${LOG_FORMATS.join(', ')})`);
  const options = { level, ...(opts.name === undefined ? {} : { name: opts.name }) };
  const destination = resolveLogFormat(format, opts.destination === undefined) === 'pretty' ? prettyDestination(opts.destination) : opts.destination;
  const root: Logger = destination ? pino(options, destination) : pino(options);

  const children = new Set<WeakRef<Logger>>();
  // Drops the references of children that were collected, so the set does not grow forever.
  const cleanup = new FinalizationRegistry<WeakRef<Logger>>((ref) => children.delete(ref));

  const control: LogControl = {
    getLevel: () => root.level,
    setLevel(next: string) {
      const l = parseLogLevel(next);
      if (!l) throw new Error(`E_LOG_LEVEL: unknown log level "${next}" (use ${LOG_LEVELS.join(', ')} or -3..4)`);
      root.level = l;
      for (const ref of children) {
        const c = ref.deref();
        if (c) c.level = l;
        else children.delete(ref);
      }
    },
    child(module: string) {
      const c = root.child({ module });
      const ref = new WeakRef(c);
      children.add(ref);
      cleanup.register(c, ref);
      return c;
    },
  };
  return { root, control };
}

/** The logging a storage driver needs; pino's `Logger` fits (`log.error({ err }, 'msg')`). */
export interface DriverLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

let standalone: Logger | undefined;

/**
 * For code used outside a server (a driver opened directly by a tool or test): one shared JSON logger,
 * with the server's line format. Inside a server, modules get their logger from the loader instead.
 */
export function standaloneLogger(module: string): Logger {
  standalone ??= createLogger().root;
  return standalone.child({ module });
}
