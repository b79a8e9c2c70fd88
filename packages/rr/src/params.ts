import { z } from '@core/sip';

/** rr modparams, OpenSIPS names. */
export const rrParams = {
  /** Add the From tag (`ftag`) to Record-Route, needed by is_direction(). */
  append_fromtag: z.union([z.literal(0), z.literal(1)]).default(1),
  /** Two Record-Route headers when the request leaves on another socket than it came in. */
  enable_double_rr: z.union([z.literal(0), z.literal(1)]).default(1),
};
