/**
 * b2b_entities: the dialogs a B2BUA is a UA in, as the OpenSIPS b2b_entities module — server entities
 * (we answered their initial request) and client entities (we sent it), keys in our To-tag / Call-ID so
 * their in-dialog requests never reach the main route, UA sessions driven from the script and MI with
 * E_UA_SESSION, and the b2b_api_t API for B2B logic modules.
 */
import { defineModule, type RouteContext } from '@core/sip';
import type { B2bApi } from './api.js';
import { b2bMi } from './mi.js';
import { B2bModule } from './module-state.js';
import { b2bParams } from './params.js';
import { b2bEntitiesSchema } from './schema.js';
import { sendRequest } from './uac-side.js';
import { sendReply } from './uas-side.js';
import { UA_EVENT } from './ua-session.js';

/** The key variable of ua_session_server_init: a setter (OpenSIPS's `$var(key)`), or null when only the return value is used. */
export type UaKeyVar = ((key: string) => void) | null | undefined;

declare module '@core/sip' {
  interface RouteContext {
    /**
     * Starts a UA session for this initial INVITE; returns its key (and gives it to `key` when a setter is
     * passed, as OpenSIPS writes it into the key variable). Flags: t<sec> a r d h b n.
     */
    ua_session_server_init(key?: UaKeyVar, flags?: string, extra_params?: string): string;
    /** A sequential request in a UA session; 1, or throws naming the misuse. */
    ua_session_update(key: string, method: string, body?: string, extra_headers?: string, content_type?: string): number;
    /** A reply to a request received in a UA session; 1, or throws naming the misuse. */
    ua_session_reply(key: string, method: string, code: number, reason?: string, body?: string, extra_headers?: string, content_type?: string): number;
    /** Ends a UA session; 1, or throws naming the misuse. */
    ua_session_terminate(key: string, extra_headers?: string): number;
  }
}

const REQ_EVENT = ['request', 'event'] as const;

export default defineModule({
  name: 'b2b_entities',
  version: '0.1.0',
  description: 'B2BUA entities (server and client dialogs), UA sessions, E_UA_SESSION and b2b_api_t (the OpenSIPS b2b_entities module)',
  deps: [
    { module: 'tm', onMissing: 'abort' },
    // Loaded first when present: 401/407 to our requests are answered with its credentials.
    { module: 'uac_auth', onMissing: 'ignore' },
    {
      module: 'db_mysql',
      requiredWhen: (p) => (p.db_mode !== 0 && !p.cachedb_url && /^mysql:/i.test(p.db_url ?? '') ? `db_mode=${p.db_mode} with a mysql:// db_url` : false),
    },
    { module: 'clusterer', requiredWhen: (p) => ((p.cluster_id ?? 0) > 0 ? `cluster_id=${p.cluster_id}` : false) },
    {
      module: 'cachedb_redis',
      requiredWhen: (p) => (p.db_mode !== 0 && /^redis:/i.test(p.cachedb_url ?? '') ? `db_mode=${p.db_mode} with a redis:// cachedb_url` : false),
    },
  ],
  params: b2bParams,
  tables: [b2bEntitiesSchema()],
  events: {
    [UA_EVENT]: {
      help: 'A request or reply in a UA session (NEW, EARLY, ANSWERED, REJECTED, UPDATED, TERMINATED) · replies only with flag r, ACK only with a',
      params: ['key', 'entity_type', 'event_type', 'status', 'reason', 'method', 'body', 'headers', 'extra_params'],
    },
  },
  init: (ctx) => B2bModule.create(ctx),
  start: (m) => m.start(),
  stop: (m) => m.stop(),
  api(m): B2bApi {
    const e = m.engine;
    return {
      server_new: (ctx, owner, localContact) => e.serverNew('server_new', ctx, owner, localContact).key,
      client_new: (info, owner) => e.clientNew('client_new', info, owner).key,
      send_request(et, key, r, dlginfo) {
        sendRequest(e, 'send_request', e.must('send_request', et, key, dlginfo), r);
        return 0;
      },
      send_reply(et, key, r, dlginfo) {
        sendReply(e, 'send_reply', e.must('send_reply', et, key, dlginfo), r);
        return 0;
      },
      entity_delete(et, key, dlginfo) {
        const ent = e.get(et, key);
        if (ent === undefined) return;
        e.must('entity_delete', et, key, dlginfo);
        e.delete(ent);
      },
      restore_logic_info(et, key, notify, param, free) {
        const ent = e.get(et, key);
        if (ent === undefined) return -1;
        ent.notify = notify;
        ent.param = param;
        ent.free = free;
        return 0;
      },
      update_b2bl_param(et, key, logicKey) {
        const ent = e.get(et, key);
        if (ent === undefined) return -1;
        ent.logicKey = logicKey;
        e.changed(ent);
        return 0;
      },
      onRestored: (cb) => void e.restoredCbs.push(cb),
    };
  },
  functions: {
    ua_session_server_init: {
      routes: ['request'],
      help: 'Starts a UA session for an initial INVITE; returns the key',
      handler(m, ctx: RouteContext, key?: UaKeyVar, flags?: string, extra?: string) {
        const k = m.ua.serverInit(ctx, flags, extra);
        if (typeof key === 'function') key(k);
        return k;
      },
    },
    ua_session_update: {
      routes: REQ_EVENT,
      help: 'Sends a sequential request in a UA session',
      handler(m, _ctx, key: string, method: string, body?: string, hdrs?: string, ct?: string) {
        m.ua.update('ua_session_update', key, method, body, hdrs, ct);
        return 1;
      },
    },
    ua_session_reply: {
      routes: REQ_EVENT,
      help: 'Replies to a request received in a UA session',
      handler(m, _ctx, key: string, method: string, code: number, reason?: string, body?: string, hdrs?: string, ct?: string) {
        m.ua.reply('ua_session_reply', key, method, code, reason, body, hdrs, ct);
        return 1;
      },
    },
    ua_session_terminate: {
      routes: REQ_EVENT,
      help: 'Ends a UA session',
      handler(m, _ctx, key: string, hdrs?: string) {
        m.ua.terminate('ua_session_terminate', key, hdrs);
        return 1;
      },
    },
  },
  mi: b2bMi,
});
