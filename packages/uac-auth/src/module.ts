/**
 * uac_auth: digest authentication for requests tsips sends as a UAC, as the OpenSIPS uac_auth module (the
 * credentials and the digest computation) together with the `uac_auth()` script function OpenSIPS keeps in
 * its uac module. Script: `failure_route { if (uac_auth()) t_relay(); }`. Modules bind the API
 * (`ctx.api('uac_auth')`) to answer the 401/407 of their own requests.
 */
import { defineModule } from '@core/sip';
import type { TmApi } from '@mod/tm';
import type { UacAuthApi } from './api.js';
import { authorize } from './authorize.js';
import { authenticate } from './authenticate.js';
import { parseChallenges } from './challenge.js';
import { avpNames, CredentialList, type AvpNames } from './credentials.js';
import { uacAuthParams } from './params.js';
import { uacAuth } from './uac-auth.js';

interface UacAuthModule {
  readonly tm: TmApi;
  readonly credentials: CredentialList;
  readonly avps: AvpNames | null;
}

export default defineModule({
  name: 'uac_auth',
  version: '0.1.0',
  description: 'Digest authentication of requests sent as a UAC (RFC 3261 22.2/22.3, RFC 2617, RFC 7616)',
  deps: [{ module: 'tm', onMissing: 'abort' }],
  params: uacAuthParams,
  init(ctx): UacAuthModule {
    return { tm: ctx.api('tm'), credentials: new CredentialList(ctx.params.credential), avps: avpNames(ctx.params) };
  },
  api(m): UacAuthApi {
    const lookup = (realm: string) => m.credentials.lookup(realm);
    return {
      lookupCredential: lookup,
      parseChallenges,
      authorize,
      authenticate: (req, reply, opts) => authenticate(req, reply, lookup, opts),
    };
  },
  functions: {
    uac_auth: {
      routes: ['failure'],
      help: 'Answers the winning 401/407 with our credentials (CSeq + 1); then t_relay() sends it',
      handler: (m, ctx) => uacAuth(m, ctx),
    },
  },
});
