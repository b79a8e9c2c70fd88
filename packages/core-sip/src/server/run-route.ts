import type { Logger } from 'pino';
import type { RouteContext } from '../script/context.js';
import type { RouteHandler } from '../script/routes.js';
import { ScriptExit } from '../script/exit.js';

/**
 * Runs one route handler. `exit`/`drop` end it quietly; any other error is logged with the Call-ID and
 * the route type, and treated as the end of the script (OpenSIPS goes on after a failed function too).
 * Resolves to false when the script dropped the message.
 */
export async function runRoute(host: { log: Logger }, handler: RouteHandler, ctx: RouteContext): Promise<boolean> {
  return (await runRouteStatus(host, handler, ctx)) !== 'drop';
}

export type RouteOutcome = 'ok' | 'drop' | 'error';

/** As runRoute, telling a script error apart (the pipeline answers 500 for it). */
export async function runRouteStatus(host: { log: Logger }, handler: RouteHandler, ctx: RouteContext): Promise<RouteOutcome> {
  try {
    const r = handler(ctx);
    if (r !== undefined) await r;
  } catch (err) {
    if (!(err instanceof ScriptExit)) {
      let callId: string | undefined;
      try {
        callId = ctx.msg.callId;
      } catch {
        callId = undefined;
      }
      host.log.error({ err, route: ctx.routeType, callId }, 'script error');
      return 'error';
    }
  }
  return ctx.dropped ? 'drop' : 'ok';
}
