import type { Logger } from 'pino';
import type { RouteContext } from '../script/context.js';
import type { RouteHandler } from '../script/routes.js';
import { ScriptExit } from '../script/exit.js';
import { logContext } from '../message/log-context.js';
import type { LogLimiter } from '../log-limit.js';

/** What running a route needs of the server: its logger and the rate limits of peer-triggered lines. */
export interface RouteHost {
  readonly log: Logger;
  readonly logLimit: LogLimiter;
}

/**
 * Runs one route handler. `exit`/`drop` end it quietly; any other error is logged with the message's
 * context (read safely: error_route runs on broken messages) and the route type, and treated as the end
 * of the script (OpenSIPS goes on after a failed function too). Never rejects.
 * Resolves to false when the script dropped the message.
 */
export async function runRoute(host: RouteHost, handler: RouteHandler, ctx: RouteContext): Promise<boolean> {
  return (await runRouteStatus(host, handler, ctx)) !== 'drop';
}

export type RouteOutcome = 'ok' | 'drop' | 'error';

/** As runRoute, telling a script error apart (the pipeline answers 500 for it). */
export async function runRouteStatus(host: RouteHost, handler: RouteHandler, ctx: RouteContext): Promise<RouteOutcome> {
  try {
    const r = handler(ctx);
    if (r !== undefined) await r;
  } catch (err) {
    if (!(err instanceof ScriptExit)) {
      try {
        // A script bug a peer can trigger at will must not write a line per message.
        if (host.logLimit.allow(host.log, 'error', 'script error')) host.log.error({ err, route: ctx.routeType, ...logContext(ctx.msg) }, 'script error');
      } catch {
        // The outcome below still tells the caller.
      }
      return 'error';
    }
  }
  return ctx.dropped ? 'drop' : 'ok';
}
