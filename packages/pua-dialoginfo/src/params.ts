import { z } from '@core/sip';

const bool = z.union([z.literal(0), z.literal(1)]);

/** pua_dialoginfo modparams, OpenSIPS names and defaults. */
export const dialoginfoParams = {
  /** Outbound proxy of the PUBLISHes (the presence server); unset: to the presentity's URI. */
  presence_server: z
    .string()
    .regex(/^sips?:/i, 'a sip: URI')
    .optional(),
  /** AVP holding the caller's URI, read on dialoginfo_set() (default: the From URI). */
  caller_spec_param: z.string().optional(),
  /** AVP holding the callee's URI, read on dialoginfo_set() (default: the To URI). */
  callee_spec_param: z.string().optional(),
  include_callid: bool.default(1),
  include_localremote: bool.default(1),
  include_tags: bool.default(1),
  /** 1: the caller's side is published confirmed at once (its phone is off-hook), not early. */
  caller_confirmed: bool.default(0),
  /** 1: publish `trying` for both sides when the INVITE is handled (before any reply). */
  publish_on_trying: bool.default(0),
  /** Message flag that, set on the INVITE, stops dialoginfo_set() from publishing (-1: none). */
  nopublish_flag: z.number().int().min(-1).max(31).default(-1),
  /** tsips: Expires of the PUBLISHes (pua raises it to its min_expires). */
  publish_expires: z.number().int().min(1).default(3600),
};
