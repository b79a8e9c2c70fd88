import { TOKEN, isWs, parseUint } from '../chars.js';
import { headerError } from '../parse-error.js';
import { type Params, deferParams } from './params.js';

/** One Via value (RFC 3261 20.42): `SIP/2.0/UDP host:port;branch=...;received=...;rport`. */
export class Via {
  /** `SIP/2.0` (protocol name and version, LWS removed). */
  readonly protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, WSS or whatever was written. */
  readonly transport: string;
  /** sent-by host as written (IPv6 keeps brackets). */
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Params;
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** RFC 3581: `null` when present without a value (a request asking for it), the number once filled in. */
  readonly rport: number | null | undefined;
  readonly maddr: string | undefined;
  /** The value as received (unfolded). */
  readonly raw: string;

  /**
   * `picked` holds the branch, received, rport and maddr values when the parser already found them (see
   * VIA_PARAMS); without it they are read from `params`.
   */
  constructor(protocol: string, transport: string, host: string, port: number | undefined, params: Params, raw: string, picked?: readonly (string | null | undefined)[]) {
    this.protocol = protocol;
    this.transport = transport;
    this.host = host;
    this.port = port;
    this.params = params;
    this.branch = (picked !== undefined ? picked[0] : params.get('branch')) ?? undefined;
    this.received = (picked !== undefined ? picked[1] : params.get('received')) ?? undefined;
    const rp = picked !== undefined ? picked[2] : params.get('rport');
    this.rport = rp === undefined || rp === null ? rp : parseUint(rp);
    this.maddr = (picked !== undefined ? picked[3] : params.get('maddr')) ?? undefined;
    this.raw = raw;
  }
}

/** The params a Via reads while parsing, in the order of Via's `picked` constructor argument. */
const VIA_PARAMS = ['branch', 'received', 'rport', 'maddr'] as const;
/** Reused by parseVia (never kept: Via's constructor copies the values out). */
const picked: (string | null | undefined)[] = [undefined, undefined, undefined, undefined];

/** Formats a Via value from its parts (used when a Via is rebuilt with received/rport filled in). */
export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? ':' + v.port : ''}${v.params.toString()}`;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function token(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c > 255 || TOKEN[c] !== 1) break;
    i++;
  }
  return i;
}

/** Parses one Via value. `base` is its offset in the message, for error positions. */
export function parseVia(text: string, base = 0): Via {
  let i = skipWs(text, 0);
  if (i >= text.length) throw headerError('E_PARSE_VIA', 'Via', base + i, 'empty value');
  let e = token(text, i);
  if (e === i) throw headerError('E_PARSE_VIA', 'Via', base + i, 'missing protocol name');
  const name = text.slice(i, e);
  i = skipWs(text, e);
  if (text.charCodeAt(i) !== 47) throw headerError('E_PARSE_VIA', 'Via', base + i, 'expected "/" after protocol name');
  i = skipWs(text, i + 1);
  e = token(text, i);
  if (e === i) throw headerError('E_PARSE_VIA', 'Via', base + i, 'missing protocol version');
  const version = text.slice(i, e);
  i = skipWs(text, e);
  if (text.charCodeAt(i) !== 47) throw headerError('E_PARSE_VIA', 'Via', base + i, 'expected "/" after protocol version');
  i = skipWs(text, i + 1);
  e = token(text, i);
  if (e === i) throw headerError('E_PARSE_VIA', 'Via', base + i, 'missing transport');
  const transport = text.slice(i, e).toUpperCase();
  i = skipWs(text, e);
  const hs = i;
  if (text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close < 0) throw headerError('E_PARSE_VIA', 'Via', base + i, 'unterminated IPv6 reference in sent-by');
    i = close + 1;
  } else {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      const l = c | 0x20;
      if (!((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) break;
      i++;
    }
  }
  if (i === hs) throw headerError('E_PARSE_VIA', 'Via', base + hs, 'missing sent-by host');
  const host = text.slice(hs, i);
  let port: number | undefined;
  i = skipWs(text, i);
  if (text.charCodeAt(i) === 58) {
    i = skipWs(text, i + 1);
    const ps = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    const p = parseUint(text.slice(ps, i));
    if (p < 0 || p > 65535) throw headerError('E_PARSE_VIA', 'Via', base + ps, 'sent-by port is not a number in 0-65535');
    port = p;
  }
  picked[0] = picked[1] = picked[2] = picked[3] = undefined;
  const params = deferParams(text, i, 59, 'E_PARSE_VIA', 'Via', base, VIA_PARAMS, picked);
  const via = new Via(`${name}/${version}`, transport, host, port, params, text, picked);
  if (via.rport !== null && via.rport !== undefined && (via.rport < 0 || via.rport > 65535)) throw headerError('E_PARSE_VIA', 'Via', base + i, 'bad rport value');
  return via;
}
