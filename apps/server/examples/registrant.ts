/**
 * Example: tsips registering itself on remote registrars (trunks, PBX accounts) with uac_registrant, digest
 * through uac_auth, over tm. UDP 127.0.0.1:5060, MI on 127.0.0.1:8888, no database: the rows live in the
 * in-memory DB and are added with MI, e.g.
 *
 *   tsips --config apps/server/examples/registrant.ts
 *   pnpm tsips mi reg_upsert aor=sip:1001@pbx.example contact=sip:1001@127.0.0.1:5060 \
 *     registrar=sip:pbx.example username=1001 password=secret expiry=600
 *   pnpm tsips mi reg_list
 *
 * Every bucket is visited within timer_interval (4 s): a new row is registered within 4 s.
 */
import { defineConfig, type ServerConfig } from '@core/sip';
import tm from '@mod/tm';
import uacAuth from '@mod/uac-auth';
import uacRegistrant from '@mod/uac-registrant';

export default (): ServerConfig =>
  defineConfig({
    listen: ['udp:127.0.0.1:5060'],
    modules: [tm, uacAuth, uacRegistrant],
    modparams: {
      uac_registrant: { timer_interval: 4, hash_size: 1 },
    },
    mi: { host: '127.0.0.1', port: 8888 },
    routes: {
      // Nothing is routed here: requests to the registered bindings are not this example's business.
      request(ctx) {
        ctx.sl_send_reply(404, 'Not Here');
      },
    },
  });
