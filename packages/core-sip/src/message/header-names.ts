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
  i: Hdr.CallId, m: Hdr.Contact, e: Hdr.ContentEncoding, l: Hdr.ContentLength, c: Hdr.ContentType,
  f: Hdr.From, s: Hdr.Subject, k: Hdr.Supported, t: Hdr.To, v: Hdr.Via, o: Hdr.Event, u: Hdr.AllowEvents,
  r: Hdr.ReferTo, b: Hdr.ReferredBy, x: Hdr.SessionExpires, a: Hdr.AcceptContact, j: Hdr.RejectContact,
  d: Hdr.RequestDisposition, y: Hdr.Identity, n: Hdr.IdentityInfo,
};

/** Compact letter (lower-case char code) → header number; -1 when the letter is not a compact form. */
const COMPACT_BY_CODE = new Int8Array(128).fill(-1);
const ID_BY_NAME = new Map<string, number>();
/** Known lower-case names grouped by length, as bytes, for matching against the message. */
const BY_LENGTH: { id: number; bytes: Uint8Array }[][] = [];
/**
 * Known long names keyed by length, first and last letter (see nameKey): the id, -1 when none, -2 when two
 * names share the key (then BY_LENGTH is searched). One lookup and one compare per header line.
 */
const BY_KEY = new Int8Array(1 << 15).fill(-1);
/** Lower-case bytes of each known name, by number. */
const NAME_BYTES: Uint8Array[] = [];

function nameKey(len: number, first: number, last: number): number {
  return ((len & 31) << 10) | ((first & 31) << 5) | (last & 31);
}

for (let id = 0; id < CANONICAL_NAMES.length; id++) {
  const name = CANONICAL_NAMES[id] as string;
  const lower = name.toLowerCase();
  ID_BY_NAME.set(lower, id);
  ID_BY_NAME.set(name, id);
  (BY_LENGTH[lower.length] ??= []).push({ id, bytes: Buffer.from(lower, 'latin1') });
  NAME_BYTES.push(Buffer.from(lower, 'latin1'));
  const key = nameKey(lower.length, lower.charCodeAt(0), lower.charCodeAt(lower.length - 1));
  BY_KEY[key] = BY_KEY[key] === -1 ? id : -2;
}
for (const [letter, id] of Object.entries(COMPACT)) {
  COMPACT_BY_CODE[letter.charCodeAt(0)] = id;
  ID_BY_NAME.set(letter, id);
  ID_BY_NAME.set(letter.toUpperCase(), id);
}

/** Number of a known header from the name bytes `buf[s..e)`, or -1. */
export function headerIdFromBytes(buf: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len === 1) {
    const c = (buf[s] as number) | 0x20;
    return c < 128 ? (COMPACT_BY_CODE[c] as number) : -1;
  }
  if (len > 31) return -1;
  const id = BY_KEY[nameKey(len, buf[s] as number, buf[e - 1] as number)] as number;
  if (id === -1) return -1;
  if (id >= 0) {
    const b = NAME_BYTES[id] as Uint8Array;
    // Names are letters, digits and '-': OR-ing 0x20 folds case and leaves '-' and digits unchanged.
    for (let j = 0; j < len; j++) if (((buf[s + j] as number) | 0x20) !== b[j]) return -1;
    return id;
  }
  return searchByLength(buf, s, len);
}

function searchByLength(buf: Uint8Array, s: number, len: number): number {
  const cands = BY_LENGTH[len];
  if (cands === undefined) return -1;
  outer: for (let k = 0; k < cands.length; k++) {
    const cand = cands[k] as { id: number; bytes: Uint8Array };
    const b = cand.bytes;
    for (let j = 0; j < len; j++) {
      if (((buf[s + j] as number) | 0x20) !== b[j]) continue outer;
    }
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
