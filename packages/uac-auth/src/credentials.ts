/**
 * Where uac_auth finds the password for a challenged realm, in OpenSIPS order: the AVPs named by
 * auth_*_avp (per call, set by the script), then the `credential` modparam list (first entry whose realm
 * equals the challenge's, case-sensitive as realms are compared by servers).
 */
import { errors, type RouteContext } from '@core/sip';
import type { UacCredential } from './api.js';

/** `"user:realm:password"`: the params schema has checked the form. */
export function parseCredential(s: string): UacCredential {
  const a = s.indexOf(':');
  const b = s.indexOf(':', a + 1);
  return { user: s.slice(0, a), realm: s.slice(a + 1, b), password: s.slice(b + 1) };
}

export class CredentialList {
  readonly list: readonly UacCredential[];
  constructor(entries: string | readonly string[]) {
    this.list = (typeof entries === 'string' ? [entries] : entries).map(parseCredential);
  }
  lookup(realm: string): UacCredential | undefined {
    return this.list.find((c) => c.realm === realm);
  }
}

/** `$avp(name)` or `name` → the AVP name; '' → null (not configured). */
function avpName(s: string): string | null {
  const t = s.trim();
  if (t === '') return null;
  const m = /^\$avp\((.+)\)$/.exec(t);
  return m !== null ? (m[1] as string) : t;
}

export interface AvpNames {
  readonly realm: string;
  readonly username: string;
  readonly password: string;
}

/** The three AVP params, or null when none is set; one or two set is a config error naming the missing ones. */
export function avpNames(p: { auth_realm_avp: string; auth_username_avp: string; auth_password_avp: string }): AvpNames | null {
  const realm = avpName(p.auth_realm_avp);
  const username = avpName(p.auth_username_avp);
  const password = avpName(p.auth_password_avp);
  if (realm === null && username === null && password === null) return null;
  if (realm === null || username === null || password === null) {
    const set = realm !== null ? 'auth_realm_avp' : username !== null ? 'auth_username_avp' : 'auth_password_avp';
    const missing = [realm === null ? 'auth_realm_avp' : '', username === null ? 'auth_username_avp' : '', password === null ? 'auth_password_avp' : ''].filter(Boolean);
    throw errors.moduleParam('uac_auth', set, `needs ${missing.join(' and ')} too (all three AVPs or none)`);
  }
  return { realm, username, password };
}

/** The AVP credential for `realm`, when the script set username and password (and the realm, if set, matches). */
export function avpCredential(ctx: RouteContext, names: AvpNames, realm: string): UacCredential | undefined {
  const user = ctx.avp(names.username);
  const password = ctx.avp(names.password);
  if (user === undefined || password === undefined) return undefined;
  const r = ctx.avp(names.realm);
  if (r !== undefined && String(r) !== '' && String(r) !== realm) return undefined;
  return { user: String(user), realm, password: String(password) };
}
