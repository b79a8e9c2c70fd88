/** A tsips server with tm + pua and a probe module that binds the pua API the way pua_mi would. */
import { SipServer, defineModule, type AnyModule, type RouteContext } from '@core/sip';
import tm, { type TmApi } from '@mod/tm';
import pua, { type PuaApi } from '../src/index.js';

export interface Bound {
  pua: PuaApi;
  tm: TmApi;
}

export async function startPua(
  modparams: Record<string, unknown> = {},
  extra: AnyModule[] = [],
  request?: (ctx: RouteContext) => void | Promise<void>,
  otherParams: Record<string, Record<string, unknown>> = {},
): Promise<{ server: SipServer; api: Bound }> {
  let bound: Bound | undefined;
  const probe = defineModule({
    name: 'pua_probe',
    version: '0.0.0',
    deps: [{ module: 'pua' }, { module: 'tm' }],
    init(ctx) {
      bound = { pua: ctx.api('pua'), tm: ctx.api('tm') };
      return bound;
    },
  });
  const server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, pua, ...extra, probe],
    modparams: { tm: { fr_timer: 2 }, pua: { min_expires: 0, ...modparams }, ...otherParams },
    routes: { request: request ?? ((ctx) => void ctx.sl_send_reply(404, 'Not here')) },
  });
  await server.start();
  return { server, api: bound! };
}
