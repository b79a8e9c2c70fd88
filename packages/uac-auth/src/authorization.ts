/**
 * The credentials header answering a challenge (RFC 3261 22.4 / 20.7 / 20.28, RFC 7616 3.4): the digest
 * of the request with a fresh cnonce, echoing realm, nonce, opaque and algorithm from the challenge.
 */
import { randomBytes } from 'node:crypto';
import type { AuthHeader, DigestTarget, UacCredential } from './api.js';
import type { Answerable } from './challenge.js';
import { digestResponse, ncValue } from './digest.js';

/** A quoted-string (RFC 3261 25.1): `"` and `\` escaped. */
function q(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A cnonce: 16 random bytes as hex (RFC 7616 3.4: opaque to the server, unpredictable). */
export function newCnonce(): string {
  return randomBytes(16).toString('hex');
}

export function buildAuthorization(a: Answerable, target: DigestTarget, cred: UacCredential, nc = 1, cnonce = newCnonce()): AuthHeader {
  const d = a.c.challenge;
  const nonce = d.nonce ?? '';
  const ncv = ncValue(nc);
  const withCnonce = a.qop !== undefined || a.algorithm.endsWith('-sess');
  const response = digestResponse({
    algorithm: a.algorithm,
    username: cred.user,
    realm: a.realm,
    password: cred.password,
    method: target.method,
    uri: target.uri,
    nonce,
    qop: a.qop,
    nc: ncv,
    cnonce: withCnonce ? cnonce : undefined,
    body: target.body,
  });
  let v = `Digest username=${q(cred.user)}, realm=${q(a.realm)}, nonce=${q(nonce)}, uri=${q(target.uri)}, response=${q(response)}`;
  if (d.algorithm !== undefined) v += `, algorithm=${d.algorithm}`;
  if (withCnonce) v += `, cnonce=${q(cnonce)}`;
  if (d.opaque !== undefined) v += `, opaque=${q(d.opaque)}`;
  if (a.qop !== undefined) v += `, qop=${a.qop}, nc=${ncv}`;
  return { name: a.c.header === 'WWW-Authenticate' ? 'Authorization' : 'Proxy-Authorization', value: v, realm: a.realm };
}
