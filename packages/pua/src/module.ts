/**
 * pua: the presence user agent of OpenSIPS — PUBLISH (RFC 3903) and SUBSCRIBE (RFC 6665) on behalf of
 * other modules (pua_mi, pua_dialoginfo…), records cached in memory and written to the DB.
 */
import { defineModule } from '@core/sip';
import type { PuaApi } from './api.js';
import { updateContact, notifyRecord } from './notify.js';
import { puaParams } from './params.js';
import { sendPublish } from './publish.js';
import { puaSchema } from './schema.js';
import { PuaModule } from './state.js';
import { sendSubscribe } from './subscribe.js';

export default defineModule({
  name: 'pua',
  version: '0.1.0',
  description: 'Presence user agent: PUBLISH and SUBSCRIBE client for other modules (the OpenSIPS pua module)',
  deps: [
    { module: 'tm', onMissing: 'abort' },
    // Digest auth of PUBLISH/SUBSCRIBE when loaded.
    { module: 'uac_auth', onMissing: 'ignore' },
    { module: 'db_mysql', requiredWhen: (p) => (/^mysql:/i.test(p.db_url ?? '') ? 'a mysql:// db_url' : false) },
    { module: 'clusterer', requiredWhen: (p) => (p.cluster_id !== undefined ? `cluster_id=${p.cluster_id}` : false) },
  ],
  params: puaParams,
  tables: [puaSchema()],
  init: (ctx) => PuaModule.create(ctx),
  start: (m) => m.start(),
  stop: (m) => m.stop(),
  api(m): PuaApi {
    const e = m.engine;
    return {
      sendPublish: (p) => sendPublish(e, p).catch((err: unknown) => ({ code: -1, reason: err instanceof Error ? err.message : String(err), reply: undefined })),
      sendSubscribe: (s) => sendSubscribe(e, s).catch((err: unknown) => ({ code: -1, reason: err instanceof Error ? err.message : String(err), reply: undefined })),
      isDialog: (r) => (r.kind === 'subscribe' && r.toTag !== '' && e.table.get(r.key) === r ? 0 : -1),
      registerPuacb: (types, cb, param) => e.registerCb(types, cb, param),
      addEvent: (flag, name, ct, pb) => e.events.add(flag, name, ct, pb),
      records: () => e.table.values(),
      event: (f) => e.events.get(f),
    };
  },
  functions: {
    pua_update_contact: {
      routes: ['request'],
      help: 'On a NOTIFY of a pua subscription: its Contact becomes the remote target of the next SUBSCRIBEs. 1 / -1',
      handler: (m, ctx) => {
        const rec = notifyRecord(m.engine, ctx.msg);
        return rec !== undefined && updateContact(m.engine, rec, ctx.msg) ? 1 : -1;
      },
    },
  },
  mi: {
    pua_flush: { help: 'tsips: writes the pua records to the DB now (as every update_period does)', handler: async (m) => (await m.flush(), { ok: true }) },
  },
});
