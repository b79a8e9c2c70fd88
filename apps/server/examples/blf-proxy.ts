/**
 * Example: the default stateful proxy (rr + tm + dialog) with BLF. Every initial INVITE is tracked as a
 * dialog and its caller's and callee's states (early, confirmed, terminated) are PUBLISHed as RFC 4235
 * dialog-info to the presence server in env PRESENCE_SERVER (default sip:127.0.0.1:5090), by pua +
 * pua_dialoginfo; pua_mi adds MI pua_publish / pua_subscribe to the same server.
 * Start it with `tsips --config apps/server/examples/blf-proxy.ts` (udp 127.0.0.1:5060, MI on 127.0.0.1:8888).
 */
import { defineConfig } from '@core/sip';
import rr from '@mod/rr';
import tm from '@mod/tm';
import dialog from '@mod/dialog';
import pua from '@mod/pua';
import puaMi from '@mod/pua-mi';
import puaDialoginfo from '@mod/pua-dialoginfo';

const PRESENCE_SERVER = process.env['PRESENCE_SERVER'] ?? 'sip:127.0.0.1:5090';

export default defineConfig({
  listen: ['udp:127.0.0.1:5060'],
  modules: [rr, tm, dialog, pua, puaMi, puaDialoginfo],
  mi: { host: '127.0.0.1', port: 8888 },
  modparams: {
    pua_mi: { presence_server: PRESENCE_SERVER },
    pua_dialoginfo: { presence_server: PRESENCE_SERVER },
  },
  routes: {
    async request(ctx) {
      if (ctx.mf_process_maxfwd_header(70) < 0) return void ctx.sl_send_reply(483, 'Too Many Hops');
      if (ctx.has_totag()) {
        if (ctx.loose_route() > 0) {
          if ((await ctx.t_relay()) < 0) ctx.sl_reply_error();
          return;
        }
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
      ctx.loose_route();
      if (ctx.$rm === 'INVITE') {
        ctx.record_route();
        ctx.create_dialog();
        ctx.dialoginfo_set(); // BLF for caller and callee
      }
      if ((await ctx.t_relay()) < 0) ctx.sl_reply_error();
    },
  },
});
