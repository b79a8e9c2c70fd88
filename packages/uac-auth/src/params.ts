import { z } from '@core/sip';

/** `user:realm:password`: the password is the rest after the second colon, so it may hold colons. */
const CREDENTIAL = /^[^:]+:[^:]+:.+$/;

/** uac_auth modparams, OpenSIPS names. */
export const uacAuthParams = {
  /** Credentials for realms that challenge us, repeatable (first match by realm wins). */
  credential: z
    .union([z.string().regex(CREDENTIAL), z.array(z.string().regex(CREDENTIAL))])
    .default([])
    .describe('"user:realm:password" or a list of them'),
  /**
   * AVPs holding per-call credentials, looked at before the `credential` list (`$avp(realm)` or `realm`).
   * All three or none: the username and password AVPs answer the challenge whose realm the realm AVP holds
   * (an unset or empty realm AVP: whatever realm challenges).
   */
  auth_realm_avp: z.string().default(''),
  auth_username_avp: z.string().default(''),
  auth_password_avp: z.string().default(''),
};
