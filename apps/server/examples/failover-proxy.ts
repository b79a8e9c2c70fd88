/**
 * Example: a stateful proxy that sends calls to a primary gateway and, when it fails or does not answer
 * within 5 s, to a backup (serial forking from failure_route); every call is a dialog with a 2 h limit,
 * counted per caller in a profile. Start it with `tsips --config apps/server/examples/failover-proxy.ts`.
 */
import { defineConfig } from '@core/sip';
import rr from '@mod/rr';
import tm from '@mod/tm';
import dialog from '@mod/dialog';

const PRIMARY = 'sip:127.0.0.1:5070';
const BACKUP = 'sip:127.0.0.1:5080';

export default defineConfig({
  listen: ['udp:127.0.0.1:5060'],
  modules: [rr, tm, dialog],
  modparams: {
    tm: { fr_timer: 5, fr_inv_timer: 60 },
    dialog: { default_timeout: 7200, profiles_with_value: 'caller' },
  },
  routes: {
    async request(ctx) {
      if (ctx.mf_process_maxfwd_header(70) < 0) return void ctx.sl_send_reply(483, 'Too Many Hops');
      if (ctx.has_totag()) {
        if (ctx.loose_route() > 0 || (ctx.$rm === 'ACK' && ctx.t_check_trans() > 0)) await ctx.t_relay();
        else if (ctx.$rm !== 'ACK') ctx.sl_send_reply(404, 'Not here');
        return;
      }
      if (ctx.$rm === 'CANCEL') {
        if (ctx.t_check_trans() > 0) await ctx.t_relay();
        return;
      }
      if (ctx.$rm === 'INVITE') {
        ctx.record_route();
        ctx.create_dialog('B'); // BYE both sides when the 2 h limit is reached
        ctx.set_dlg_profile('caller', ctx.$fu);
        ctx.t_on_failure('TO_BACKUP');
      }
      ctx.$du = PRIMARY;
      if ((await ctx.t_relay()) < 0) ctx.sl_reply_error();
    },
    failure_route: {
      async TO_BACKUP(ctx) {
        if (ctx.t_was_cancelled() > 0) return;
        if (ctx.t_check_status('^(408|5[0-9][0-9])$') > 0) {
          ctx.$du = BACKUP;
          await ctx.t_relay();
        }
      },
    },
  },
});
