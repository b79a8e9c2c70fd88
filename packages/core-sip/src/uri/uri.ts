import { eqi } from '../message/chars.js';
import { SipParseError } from '../message/parse-error.js';
import { Params, deferParams } from '../message/headers/params.js';
import { unescapePercent } from './percent.js';

/**
 * A parsed URI. sip:/sips: URIs are split into user, password, host, port, params and headers; tel: URIs keep
 * the number in `user` with its params; any other scheme is kept opaque (`opaque` is the text after "scheme:").
 * Fields are as written (escapes kept); `toString()` returns the original text until something is changed.
 */
export class SipUri {
  /** Lower-cased scheme: 'sip', 'sips', 'tel' or another. */
  scheme: string;
  user: string | undefined;
  password: string | undefined;
  /** As written; an IPv6 reference keeps its brackets. '' for tel: and opaque URIs. */
  host: string;
  port: number | undefined;
  params: Params;
  headers: Params;
  /** The part after "scheme:" for schemes this parser does not know. */
  opaque: string | undefined;
  private readonly text: string;
  private readonly oScheme: string;
  private readonly oUser: string | undefined;
  private readonly oPassword: string | undefined;
  private readonly oHost: string;
  private readonly oPort: number | undefined;
  private readonly oOpaque: string | undefined;

  constructor(
    scheme: string,
    user: string | undefined,
    password: string | undefined,
    host: string,
    port: number | undefined,
    params: Params = new Params(),
    headers: Params = new Params(),
    opaque: string | undefined = undefined,
    text?: string,
  ) {
    this.scheme = scheme;
    this.user = user;
    this.password = password;
    this.host = host;
    this.port = port;
    this.params = params;
    this.headers = headers;
    this.opaque = opaque;
    this.oScheme = scheme;
    this.oUser = user;
    this.oPassword = password;
    this.oHost = host;
    this.oPort = port;
    this.oOpaque = opaque;
    this.text = text ?? '';
  }

  get isIPv6(): boolean {
    return this.host.charCodeAt(0) === 91; /* [ */
  }

  /** `lr` parameter present (loose routing, RFC 3261 16.12). */
  get lr(): boolean {
    return this.params.has('lr');
  }

  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }

  /** Lower-cased `transport` parameter. */
  transport(): string | undefined {
    const t = this.params.get('transport');
    return t ? t.toLowerCase() : undefined;
  }

  hostAddress(): string {
    return this.isIPv6 ? this.host.slice(1, -1) : this.host;
  }

  userUnescaped(): string {
    return this.user === undefined ? '' : unescapePercent(this.user);
  }

  toString(): string {
    if (
      this.text !== '' &&
      this.scheme === this.oScheme &&
      this.user === this.oUser &&
      this.password === this.oPassword &&
      this.host === this.oHost &&
      this.port === this.oPort &&
      this.opaque === this.oOpaque &&
      !this.params.modified &&
      !this.headers.modified
    ) {
      return this.text;
    }
    return formatUri(this);
  }
}

/** Builds the text of a URI from its fields. */
export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined) return `${u.scheme}:${u.opaque}`;
  let s = u.scheme + ':';
  if (u.scheme === 'tel') return s + (u.user ?? '') + u.params.toString();
  if (u.user !== undefined) s += u.user + (u.password !== undefined ? ':' + u.password : '') + '@';
  s += u.host;
  if (u.port !== undefined) s += ':' + u.port;
  s += u.params.toString();
  if (u.headers.size > 0) s += u.headers.toString('&', '?');
  return s;
}

function uriError(text: string, what: string, pos: number): SipParseError {
  return new SipParseError('E_PARSE_URI', `URI "${text}" at offset ${pos}: ${what}`, pos);
}

/** Parses a URI (addr-spec). Throws SipParseError 'E_PARSE_URI'. */
export function parseUri(text: string): SipUri {
  const n = text.length;
  // Whitespace, controls and the characters that delimit a URI inside a header are never part of one.
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) {
      throw uriError(text, c <= 32 ? 'whitespace or control character' : `"${text[i]}" not allowed`, i);
    }
  }
  let i = 0;
  const c0 = text.charCodeAt(0) | 0x20;
  if (n === 0 || c0 < 97 || c0 > 122) throw uriError(text, 'missing scheme', 0);
  for (i = 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) break;
    const l = c | 0x20;
    if (!((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) {
      throw uriError(text, 'bad character in scheme', i);
    }
  }
  if (i >= n) throw uriError(text, 'missing ":" after scheme', i);
  const written = text.slice(0, i);
  const scheme = written === 'sip' || written === 'sips' || written === 'tel' ? written : written.toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSip(text, scheme, i + 1);
  if (scheme === 'tel') return parseTel(text, i + 1);
  if (i + 1 >= n) throw uriError(text, 'nothing after scheme', i + 1);
  return new SipUri(scheme, undefined, undefined, '', undefined, undefined, undefined, text.slice(i + 1), text);
}

function parseSip(text: string, scheme: string, i: number): SipUri {
  const n = text.length;
  let user: string | undefined;
  let password: string | undefined;
  // '@' cannot appear unescaped in params or headers, so the first one ends the userinfo.
  const at = text.indexOf('@', i);
  if (at >= 0) {
    const colon = text.indexOf(':', i);
    if (colon >= 0 && colon < at) {
      user = text.slice(i, colon);
      password = text.slice(colon + 1, at);
    } else {
      user = text.slice(i, at);
    }
    if (user.length === 0) throw uriError(text, 'empty user part before "@"', i);
    i = at + 1;
  }
  const hs = i;
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close < 0) throw uriError(text, 'unterminated IPv6 reference', i);
    for (let k = i + 1; k < close; k++) {
      const c = text.charCodeAt(k);
      const l = c | 0x20;
      if (!((c >= 48 && c <= 58) || (l >= 97 && l <= 102) || c === 46)) throw uriError(text, 'bad character in IPv6 reference', k);
    }
    if (close === i + 1) throw uriError(text, 'empty IPv6 reference', i);
    i = close + 1;
  } else {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      const l = c | 0x20;
      if (!((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) {
        throw uriError(text, `bad character "${text[i]}" in host`, i);
      }
    }
    if (i === hs) throw uriError(text, 'missing host', hs);
  }
  const host = text.slice(hs, i);
  let port: number | undefined;
  if (i < n && text.charCodeAt(i) === 58) {
    const ps = ++i;
    let v = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 59 || c === 63) break;
      if (c < 48 || c > 57) throw uriError(text, 'port is not a number', i);
      v = v * 10 + (c - 48);
    }
    if (i === ps || i - ps > 5 || v > 65535) throw uriError(text, 'port out of range', ps);
    port = v;
  } else if (i < n && text.charCodeAt(i) !== 59 && text.charCodeAt(i) !== 63) {
    throw uriError(text, `unexpected "${text[i]}" after host`, i);
  }
  let params: Params | undefined;
  let headers: Params | undefined;
  const q = text.indexOf('?', i);
  if (i < n && text.charCodeAt(i) === 59) {
    const pe = q < 0 ? n : q;
    params = deferParams(pe === n ? text : text.slice(0, pe), i, 59, 'E_PARSE_URI', 'URI', 0, null, null);
    i = pe;
  }
  if (i < n) {
    // i is at '?': headers are name=value pairs joined by '&'.
    headers = new Params();
    let s = i + 1;
    while (s <= n) {
      let e = text.indexOf('&', s);
      if (e < 0) e = n;
      const eq = text.indexOf('=', s);
      if (eq < 0 || eq > e || eq === s) throw uriError(text, 'URI header must be name=value', s);
      headers.append(text.slice(s, eq), text.slice(eq + 1, e));
      s = e + 1;
    }
  }
  return new SipUri(scheme, user, password, host, port, params, headers, undefined, text);
}

function parseTel(text: string, i: number): SipUri {
  const n = text.length;
  let e = text.indexOf(';', i);
  if (e < 0) e = n;
  if (e === i) throw uriError(text, 'missing telephone number', i);
  const number = text.slice(i, e);
  const params = e < n ? deferParams(text, e, 59, 'E_PARSE_URI', 'URI', 0, null, null) : undefined;
  return new SipUri('tel', number, undefined, '', undefined, params, undefined, undefined, text);
}

const SPECIAL_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'] as const;

function paramValueEq(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return eqi(unescapePercent(a), unescapePercent(b));
}

/** URI equality per RFC 3261 19.1.4 (sip/sips), RFC 3966 5 (tel, visual separators ignored), exact otherwise. */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.opaque !== undefined || b.opaque !== undefined) return a.opaque === b.opaque;
  if (a.scheme === 'tel') {
    const strip = (s: string | undefined): string => (s ?? '').replace(/[-.()]/g, '').toLowerCase();
    if (strip(a.user) !== strip(b.user) || a.params.size !== b.params.size) return false;
    for (const [name, v] of a.params.entries()) {
      const w = b.params.get(name);
      if (w === undefined || !paramValueEq(v, w)) return false;
    }
    return true;
  }
  // userinfo is case-sensitive, compared after unescaping; host is case-insensitive; no default port.
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && unescapePercent(a.user) !== unescapePercent(b.user ?? '')) return false;
  if ((a.password ?? null) !== (b.password ?? null)) {
    if (a.password === undefined || b.password === undefined) return false;
    if (unescapePercent(a.password) !== unescapePercent(b.password)) return false;
  }
  if (!eqi(a.host, b.host) || a.port !== b.port) return false;
  for (const name of SPECIAL_PARAMS) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if ((va === undefined) !== (vb === undefined)) return false;
    if (va !== undefined && vb !== undefined && !paramValueEq(va, vb)) return false;
  }
  // Other parameters only matter when both URIs carry them.
  for (const [name, v] of a.params.entries()) {
    const w = b.params.get(name);
    if (w !== undefined && !paramValueEq(v, w)) return false;
  }
  // Headers must all be present on both sides with equal values.
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, v] of a.headers.entries()) {
    const w = b.headers.get(name);
    if (w === undefined || unescapePercent(v ?? '') !== unescapePercent(w ?? '')) return false;
  }
  return true;
}
