/** pua_mi: PUBLISH and SUBSCRIBE on behalf of the operator, from MI (the OpenSIPS pua_mi module). */
import { defineModule, z } from '@core/sip';
import { puaMiCommands } from './mi.js';

export default defineModule({
  name: 'pua_mi',
  version: '0.1.0',
  description: 'MI pua_publish and pua_subscribe through pua (the OpenSIPS pua_mi module)',
  deps: [{ module: 'pua', onMissing: 'abort' }],
  params: {
    /** Outbound proxy (the presence server) of the requests; unset: sent to the presentity URI. */
    presence_server: z
      .string()
      .regex(/^sips?:/i, 'a sip: URI')
      .optional(),
  },
  init: (ctx) => ({ pua: ctx.api('pua'), presenceServer: ctx.params.presence_server ?? '' }),
  mi: puaMiCommands,
});
