/**
 * What `pnpm start` runs with no config: a stateless proxy on loopback. It answers OPTIONS sent to
 * itself, routes in-dialog requests by their Route headers, record-routes initial INVITEs and forwards
 * the rest by R-URI. (Once tm lands this becomes a stateful proxy.)
 */
import { defineConfig, type ServerConfig } from '@core/sip';
import rr from '@mod/rr';

export function defaultConfig(): ServerConfig {
  return defineConfig({
    listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
    modules: [rr],
    mi: { host: '127.0.0.1', port: 8888 },
    routes: {
      async request(ctx) {
        if (ctx.mf_process_maxfwd_header(70) < 0) {
          ctx.sl_send_reply(483, 'Too Many Hops');
          return;
        }
        if (ctx.has_totag()) {
          // In-dialog: follow the route set we recorded; anything else is not ours to route.
          if (ctx.loose_route() > 0 || ctx.$rm === 'ACK') {
            await ctx.forward();
            return;
          }
          ctx.sl_send_reply(404, 'Not here');
          return;
        }
        if (ctx.$rm === 'OPTIONS' && ctx.ruri_is_myself()) {
          ctx.sl_send_reply(200, 'OK', [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']]);
          return;
        }
        if (ctx.ruri_is_myself()) {
          ctx.sl_send_reply(404, 'Not Found');
          return;
        }
        ctx.loose_route();
        if (ctx.$rm === 'INVITE') ctx.record_route();
        if ((await ctx.forward()) < 0) ctx.sl_send_reply(500, 'Forward Failed');
      },
    },
  });
}
