/**
 * uac_registrant: registers tsips on remote registrars (trunks, PBX accounts) from a table of registrant
 * rows, as the OpenSIPS uac_registrant module, with what OpenSIPS 4.0 added (reg_upsert, reg_delete,
 * reg_force_register, default_expires, failure_retry_interval, reregister_expiry_percentage).
 */
import { defineModule, type z } from '@core/sip';
import { RegistrantModule } from './module-state.js';
import { registrantMi } from './mi.js';
import { registrantParams } from './params.js';
import { registrantSchema } from './schema.js';

declare module '@core/sip' {
  interface ModuleParamsMap {
    uac_registrant: z.input<z.ZodObject<typeof registrantParams>>;
  }
}

export default defineModule({
  name: 'uac_registrant',
  version: '0.1.0',
  description: 'Registers tsips on remote SIP registrars from a table of registrant rows (the OpenSIPS uac_registrant module)',
  deps: [
    { module: 'tm', onMissing: 'abort' },
    { module: 'uac_auth', onMissing: 'abort' },
    { module: 'clusterer', requiredWhen: (p) => (p.enable_clustering === 1 ? 'enable_clustering=1' : false) },
    { module: 'db_mysql', requiredWhen: (p) => (/^mysql:/i.test(p.db_url ?? '') ? 'a mysql:// db_url' : false) },
  ],
  params: registrantParams,
  tables: [registrantSchema()],
  stats: {
    registered: { kind: 'gauge', help: 'Registrants in REGISTERED_STATE', noReset: true },
    failed: { kind: 'gauge', help: 'Registrants whose last attempt failed (timeout, internal error, wrong credentials, registrar error)', noReset: true },
    pending: { kind: 'gauge', help: 'Registrants waiting for the reply to a REGISTER or un-REGISTER', noReset: true },
  },
  events: {
    E_UAC_REG_STATE: {
      help: 'A registrant changed state · each transition · code/reason of the reply that caused it (0/"" when none)',
      params: ['aor', 'state', 'old_state', 'code', 'reason'],
    },
  },
  init: (ctx) => RegistrantModule.create(ctx),
  start: (m) => m.start(),
  stop: (m) => m.stop(),
  mi: registrantMi,
});
