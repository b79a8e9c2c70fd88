import { TOKEN } from './chars.js';

/**
 * Header names the parser knows by number. Known names are recognised from the bytes at parse time (long or
 * compact form, any case) so that lookups never build or lower-case name strings; other names are compared
 * byte by byte on demand.
 */
/**
 * Slots per header line in a message's index: line start, header number and folded flag (`id * 2 + folded`),
 * value start, value end. One more slot after the last line holds its end, so line k ends where slot
 * `(k + 1) * STRIDE` says. The name ends at the first non-token byte after the line start.
 */
export const STRIDE = 4;

export const Hdr = {
  Via: 0,
  From: 1,
  To: 2,
  CallId: 3,
  CSeq: 4,
  MaxForwards: 5,
  Contact: 6,
  ContentLength: 7,
  ContentType: 8,
  Route: 9,
  RecordRoute: 10,
  Expires: 11,
  Event: 12,
  Allow: 13,
  Supported: 14,
  Require: 15,
  Authorization: 16,
  ProxyAuthorization: 17,
  WwwAuthenticate: 18,
  ProxyAuthenticate: 19,
  ContentEncoding: 20,
  Subject: 21,
  AllowEvents: 22,
  ReferTo: 23,
  ReferredBy: 24,
  SessionExpires: 25,
  AcceptContact: 26,
  RejectContact: 27,
  RequestDisposition: 28,
  Identity: 29,
  IdentityInfo: 30,
  ProxyRequire: 31,
  Date: 32,
  MinExpires: 33,
  UserAgent: 34,
  Server: 35,
  Accept: 36,
  Unsupported: 37,
  Path: 38,
  Timestamp: 39,
} as const;

/** Canonical spelling of each known header, indexed by its number. */
// A hand-laid table: one entry per line would be 40 lines.
// prettier-ignore
export const CANONICAL_NAMES: readonly string[] = [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Contact', 'Content-Length', 'Content-Type', 'Route',
  'Record-Route', 'Expires', 'Event', 'Allow', 'Supported', 'Require', 'Authorization', 'Proxy-Authorization',
  'WWW-Authenticate', 'Proxy-Authenticate', 'Content-Encoding', 'Subject', 'Allow-Events', 'Refer-To',
  'Referred-By', 'Session-Expires', 'Accept-Contact', 'Reject-Contact', 'Request-Disposition', 'Identity',
  'Identity-Info', 'Proxy-Require', 'Date', 'Min-Expires', 'User-Agent', 'Server', 'Accept', 'Unsupported',
  'Path', 'Timestamp',
];

/** RFC 3261 7.3.3 and IANA-registered compact forms. */
const COMPACT: Record<string, number> = {
  i: Hdr.CallId,
  m: Hdr.Contact,
  e: Hdr.ContentEncoding,
  l: Hdr.ContentLength,
  c: Hdr.ContentType,
  f: Hdr.From,
  s: Hdr.Subject,
  k: Hdr.Supported,
  t: Hdr.To,
  v: Hdr.Via,
  o: Hdr.Event,
  u: Hdr.AllowEvents,
  r: Hdr.ReferTo,
  b: Hdr.ReferredBy,
  x: Hdr.SessionExpires,
  a: Hdr.AcceptContact,
  j: Hdr.RejectContact,
  d: Hdr.RequestDisposition,
  y: Hdr.Identity,
  n: Hdr.IdentityInfo,
};

const ID_BY_NAME = new Map<string, number>();
for (let id = 0; id < CANONICAL_NAMES.length; id++) {
  const name = CANONICAL_NAMES[id] as string;
  ID_BY_NAME.set(name.toLowerCase(), id);
  ID_BY_NAME.set(name, id);
}
for (const [letter, id] of Object.entries(COMPACT)) {
  ID_BY_NAME.set(letter, id);
  ID_BY_NAME.set(letter.toUpperCase(), id);
}

/**
 * Known names (long and compact) by lower-cased first letter, the ones a proxy meets most first: the parser
 * matches a line's name against them in the same pass that finds where the name ends.
 */
const BY_FIRST: { id: number; bytes: Uint8Array }[][] = [];
for (let c = 0; c < 128; c++) BY_FIRST.push([]);
for (let id = 0; id < CANONICAL_NAMES.length; id++) {
  const lower = (CANONICAL_NAMES[id] as string).toLowerCase();
  (BY_FIRST[lower.charCodeAt(0)] as { id: number; bytes: Uint8Array }[]).push({ id, bytes: Buffer.from(lower, 'latin1') });
}
for (const [letter, id] of Object.entries(COMPACT))
  (BY_FIRST[letter.charCodeAt(0)] as { id: number; bytes: Uint8Array }[]).push({ id, bytes: Buffer.from(letter, 'latin1') });

/** Headers numbered 0 to HOT_MAX (Via ... Record-Route): the parser records their first and last line. */
export const HOT_MAX = Hdr.RecordRoute;

/**
 * Number of the known header whose name (any case, long or compact) starts at `buf[s]` and is followed
 * directly by ":", setting NAME_MATCH.end to the colon's offset; or -1. The usual shape of a header line: checking the byte where each candidate would end
 * rejects the wrong ones with one load, and the colon proves the name ended, so no token scan is needed.
 * -1 says nothing (`Via :`, unknown names): the caller then takes knownNameAt and the token scan.
 */
export function knownNameBeforeColon(buf: Uint8Array, s: number): number {
  const c = (buf[s] as number) | 0x20;
  if (c >= 128) return -1;
  const cands = BY_FIRST[c] as { id: number; bytes: Uint8Array }[];
  outer: for (let k = 0; k < cands.length; k++) {
    const cand = cands[k] as { id: number; bytes: Uint8Array };
    const b = cand.bytes;
    const n = b.length;
    if (buf[s + n] !== 58) continue;
    for (let j = 1; j < n; j++) if (((buf[s + j] as number) | 0x20) !== b[j]) continue outer;
    NAME_MATCH.end = s + n;
    return cand.id;
  }
  return -1;
}

/** Where the name knownNameAt (or knownNameBeforeColon: the colon's offset) last matched ends. */
export const NAME_MATCH = { end: 0 };

/**
 * Number of the known header whose name (any case, long or compact) starts at `buf[s]` and ends before a
 * non-token byte, setting NAME_MATCH.end; -1 when the name there is not a known one.
 */
export function knownNameAt(buf: Uint8Array, s: number): number {
  const c = (buf[s] as number) | 0x20;
  if (c >= 128) return -1;
  const cands = BY_FIRST[c] as { id: number; bytes: Uint8Array }[];
  outer: for (let k = 0; k < cands.length; k++) {
    const cand = cands[k] as { id: number; bytes: Uint8Array };
    const b = cand.bytes;
    const n = b.length;
    // Names are letters, digits and '-': OR-ing 0x20 folds case and leaves '-' and digits unchanged.
    for (let j = 1; j < n; j++) if (((buf[s + j] as number) | 0x20) !== b[j]) continue outer;
    // A longer name that merely starts like this one is another header.
    if (TOKEN[buf[s + n] as number] === 1) continue;
    NAME_MATCH.end = s + n;
    return cand.id;
  }
  return -1;
}

/** Number of a known header name (long or compact, any case), or -1. */
export function headerIdFromName(name: string): number {
  const id = ID_BY_NAME.get(name);
  if (id !== undefined) return id;
  return ID_BY_NAME.get(name.toLowerCase()) ?? -1;
}
