/**
 * What `pnpm start` runs with no config: a stateful proxy on loopback (rr + tm + dialog). It answers
 * OPTIONS sent to itself, routes in-dialog requests along the recorded route set, tracks every call it
 * relays as a dialog (`tsips mi dlg_list` shows them) and relays the rest by R-URI with t_relay.
 */
import { defineConfig, type ServerConfig } from '@core/sip';
import rr from '@mod/rr';
import tm from '@mod/tm';
import dialog from '@mod/dialog';

export function defaultConfig(): ServerConfig {
  return defineConfig({
    listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
    modules: [rr, tm, dialog],
    mi: { host: '127.0.0.1', port: 8888 },
    routes: {
      async request(ctx) {
        if (ctx.mf_process_maxfwd_header(70) < 0) return void ctx.sl_send_reply(483, 'Too Many Hops');
        if (ctx.has_totag()) {
          // In-dialog: follow the route set we recorded (the dialog is matched by its did param).
          if (ctx.loose_route() > 0) {
            if ((await ctx.t_relay()) < 0) ctx.sl_reply_error();
            return;
          }
          // An ACK for a negative reply of ours belongs to its transaction; anything else is not ours.
          if (ctx.$rm === 'ACK') {
            if (ctx.t_check_trans() > 0) await ctx.t_relay();
            return;
          }
          return void ctx.sl_send_reply(404, 'Not here');
        }
        if (ctx.$rm === 'CANCEL') {
          if (ctx.t_check_trans() > 0) await ctx.t_relay();
          return;
        }
        if (ctx.ruri_is_myself()) {
          if (ctx.$rm === 'OPTIONS') return void ctx.sl_send_reply(200, 'OK', [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS']]);
          return void ctx.sl_send_reply(404, 'Not Found');
        }
        ctx.loose_route(); // a preloaded route set
        if (ctx.$rm === 'INVITE') {
          ctx.record_route();
          ctx.create_dialog();
        }
        if ((await ctx.t_relay()) < 0) ctx.sl_reply_error();
      },
    },
  });
}
