/**
 * The logging a driver needs; pino's `Logger` fits (`log.error({ err }, 'msg')`). Drivers are built
 * before modules get their context, so the module passes its logger in when it has one; otherwise the
 * driver makes a pino logger of its own with the server's JSON line format.
 */
import { createLogger } from '@core/sip';

export interface DriverLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

let fallback: DriverLog | undefined;

export function defaultLog(module: string): DriverLog {
  fallback ??= createLogger().root.child({ module });
  return fallback;
}
