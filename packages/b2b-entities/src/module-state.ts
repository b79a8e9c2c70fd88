/** The module instance: the entity engine, the UA sessions on top, and the core hook that routes in-dialog requests to them. */
import type { ModuleContext } from '@core/sip';
import { B2bEngine } from './engine.js';
import { onRequestIn } from './in-dialog.js';
import type { b2bParams } from './params.js';
import { UaSessions } from './ua-session.js';

export class B2bModule {
  constructor(
    readonly engine: B2bEngine,
    readonly ua: UaSessions,
  ) {}

  static create(ctx: ModuleContext<typeof b2bParams>): B2bModule {
    const p = ctx.params;
    const engine = new B2bEngine(
      {
        serverHsize: p.server_hsize,
        clientHsize: p.client_hsize,
        keyPrefix: p.b2b_key_prefix,
        scriptReqRoute: p.script_req_route,
        scriptReplyRoute: p.script_reply_route,
        passthruPrack: p.passthru_prack === 1,
      },
      ctx.api('tm'),
      ctx.core,
      ctx.log,
    );
    for (const r of [p.script_req_route, p.script_reply_route]) {
      if (r !== undefined && ctx.core.routes.route?.[r] === undefined) {
        throw new Error(`b2b_entities: route "${r}" (script_req_route / script_reply_route) is not defined in routes.route`);
      }
    }
    const ua = new UaSessions(engine, ctx.events, ctx.log, p.ua_default_timeout, p.advertised_contact);
    ctx.core.hooks.onRequestIn((msg, rinfo) => onRequestIn(engine, msg, rinfo));
    return new B2bModule(engine, ua);
  }

  stop(): void {
    this.ua.stop();
  }
}
