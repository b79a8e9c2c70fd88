/**
 * The digest computation (RFC 2617 3.2.2, RFC 7616 3.4): pure functions, no I/O, so the published examples
 * of both RFCs pin them. A (`-sess`) algorithm name selects the hash and whether HA1 is rehashed with the
 * nonces; qop selects the RFC 2617 response (with nc and cnonce) or the RFC 2069 one (without).
 */
import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from './api.js';

export type Qop = 'auth' | 'auth-int';

const HASH: Record<DigestAlgorithm, string> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

const BY_LOWER = new Map<string, DigestAlgorithm>(Object.keys(HASH).map((a) => [a.toLowerCase(), a as DigestAlgorithm]));

/** The algorithm a challenge names (case-insensitive, absent = MD5, RFC 7616 3.3), undefined when unknown. */
export function algorithmOf(name: string | undefined): DigestAlgorithm | undefined {
  return name === undefined ? 'MD5' : BY_LOWER.get(name.toLowerCase());
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** Absent: the RFC 2069 response, no nc/cnonce. */
  qop?: Qop | undefined;
  /** 8 hex digits, with qop. */
  nc?: string | undefined;
  /** With qop or a -sess algorithm. */
  cnonce?: string | undefined;
  /** The request body, for qop=auth-int (empty when absent). */
  body?: Buffer | undefined;
}

/** Lower-case hex of the algorithm's hash (KD and H of RFC 7616 3.4.1). */
export function hash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(HASH[algorithm]).update(data).digest('hex');
}

/** HA1 = H(user:realm:password), and for -sess H(HA1:nonce:cnonce) (RFC 7616 3.4.2). */
export function ha1(i: DigestInput): string {
  const base = hash(i.algorithm, `${i.username}:${i.realm}:${i.password}`);
  if (!i.algorithm.endsWith('-sess')) return base;
  return hash(i.algorithm, `${base}:${i.nonce}:${i.cnonce ?? ''}`);
}

/** HA2 = H(method:uri), and for auth-int H(method:uri:H(body)) (RFC 7616 3.4.3). */
export function ha2(i: DigestInput): string {
  if (i.qop === 'auth-int') return hash(i.algorithm, `${i.method}:${i.uri}:${hash(i.algorithm, i.body ?? Buffer.alloc(0))}`);
  return hash(i.algorithm, `${i.method}:${i.uri}`);
}

/** The `response` param (RFC 7616 3.4.1; RFC 2617 3.2.2.1 without qop). */
export function digestResponse(i: DigestInput): string {
  const a = ha1(i);
  const b = ha2(i);
  if (i.qop === undefined) return hash(i.algorithm, `${a}:${i.nonce}:${b}`);
  return hash(i.algorithm, `${a}:${i.nonce}:${i.nc ?? '00000001'}:${i.cnonce ?? ''}:${i.qop}:${b}`);
}

/** `nc` as 8 lower-case hex digits (RFC 7616 3.4: nc-value = 8LHEX). */
export function ncValue(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
