/**
 * Example: a B2B UAS. Every initial INVITE becomes a UA session (ua_session_server_init) answered at once
 * with 200 and an SDP; the caller hangs up when it likes (the BYE is answered by b2b_entities). E_UA_SESSION
 * events are counted per event_type: `tsips mi ua_session_counts`. Start it with
 * `tsips --config apps/server/examples/b2b-uas.ts` (udp 127.0.0.1:5060, MI on 127.0.0.1:8888).
 */
import { defineConfig, defineModule, type ServerConfig } from '@core/sip';
import tm from '@mod/tm';
import b2bEntities from '@mod/b2b-entities';

const ANSWER = 'v=0\r\no=tsips 1 1 IN IP4 127.0.0.1\r\ns=tsips\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

export interface B2bUasOptions {
  listen?: string;
  /** MI port; false for none. */
  mi?: number | false;
  log?: ServerConfig['log'];
}

export function b2bUas(o: B2bUasOptions = {}): ServerConfig {
  const counts: Record<string, number> = { NEW: 0, EARLY: 0, ANSWERED: 0, REJECTED: 0, UPDATED: 0, TERMINATED: 0 };
  // A tiny module only to read the counts over MI.
  const counter = defineModule({
    name: 'ua_session_counter',
    version: '1.0.0',
    init: () => counts,
    mi: { ua_session_counts: { help: 'E_UA_SESSION events seen, by event_type', handler: (c) => ({ ...c }) } },
  });
  return defineConfig({
    listen: [o.listen ?? 'udp:127.0.0.1:5060'],
    mi: o.mi === false ? false : { port: o.mi ?? 8888 },
    log: o.log,
    modules: [tm, b2bEntities, counter],
    routes: {
      request(ctx) {
        if (ctx.is_method('INVITE') && !ctx.has_totag()) {
          // "a": ACKs are reported too (as UPDATED).
          const key = ctx.ua_session_server_init(null, 'a');
          ctx.ua_session_reply(key, 'INVITE', 200, 'OK', ANSWER);
          return;
        }
        // In-dialog requests of the sessions never get here; anything else is not ours.
        if (!ctx.is_method('ACK')) ctx.sl_send_reply(404, 'Not Here');
      },
      event_route: {
        E_UA_SESSION(p) {
          const t = String(p['event_type']);
          counts[t] = (counts[t] ?? 0) + 1;
        },
      },
    },
  });
}

export default b2bUas();
