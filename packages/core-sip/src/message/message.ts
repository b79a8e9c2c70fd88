import { isAscii } from 'node:buffer';
import { HT, SP, TOKEN, eqi, isWs, parseUint, trimLws, utf8 } from './chars.js';
import { methodAt } from './methods.js';
import { CANONICAL_NAMES, HOT_MAX, Hdr, STRIDE, headerIdFromName } from './header-names.js';
import { SipParseError, headerError } from './parse-error.js';
import { type DigestChallenge, type DigestCredentials, parseChallenge, parseCredentials } from './headers/auth.js';
import { parseCSeq } from './headers/cseq.js';
import type { CSeq } from './headers/cseq.js';
import { parseSipDate } from './headers/date.js';
import { parseEvent } from './headers/event.js';
import type { EventHeader } from './headers/event.js';
import { Contact, type NameAddr } from './headers/name-addr.js';
import { nextListComma, splitList } from './headers/split.js';
import { parseVia } from './headers/via.js';
import { VIA_SCAN, viaFromBytes } from './headers/via-fast.js';
import { NAME_ADDR_SCAN, nameAddrFromBytes } from './headers/name-addr-fast.js';
import type { Via } from './headers/via.js';
import { nameAddrOf, parseNameAddrParts } from '../uri/name-addr.js';
import { parseUri } from '../uri/uri.js';
import type { SipUri } from '../uri/uri.js';
import { MessageEdit } from './edit.js';

// Bits of SipMessage.done: which lazily computed values are cached (for values that may be undefined).
const D_MAXFWD = 1;
const D_CTYPE = 2;
const D_EXPIRES = 4;
const D_EVENT = 8;
const D_DATE = 16;
const D_CONTACTS = 32;

/**
 * A received SIP message. The parser fills the start line and an index of header positions; every header is
 * decoded on first access and cached. Every field starts in the constructor or its declaration (fixed object shape).
 */
export class SipMessage {
  readonly raw: Buffer;
  readonly isRequest: boolean;
  /** Request method as written ('' for responses). */
  readonly method: string;
  /** Raw Request-URI text ('' for responses). */
  readonly ruri: string;
  /** Status code (0 for requests). */
  readonly status: number;
  /** Reason phrase of a response, UTF-8 decoded ('' for requests or when empty). */
  readonly reason: string;
  /** Protocol version as written, normally `SIP/2.0`. */
  readonly version: string;
  /** @internal Header index, STRIDE numbers per header line (see STRIDE) and the last line's end. */
  readonly idx: number[];
  /** @internal Number of header lines indexed. */
  readonly count: number;
  /** @internal Offsets: Request-URI bytes (requests), first header line, the empty line, body start and end. */
  readonly ruriStart: number;
  readonly ruriEnd: number;
  readonly headersStart: number;
  readonly headersEnd: number;
  readonly bodyStart: number;
  readonly bodyEnd: number;

  private done: number;
  /**
   * The message decoded as latin1 by the parser (at least through the headers; one character per byte, so
   * positions are offsets in `raw`). Values are slices of it while the header block is ASCII.
   */
  private readonly text: string;
  /** Whether the header block is ASCII: 0 not checked yet, 1 yes, 2 no (values then decode as UTF-8). */
  private ascii: number;
  private cVia: Via[] | undefined = undefined;
  private cTopVia: Via | undefined = undefined;
  private cFrom: NameAddr | undefined = undefined;
  private cTo: NameAddr | undefined = undefined;
  private cCallId: string | undefined = undefined;
  private cCSeq: CSeq | undefined = undefined;
  private cMaxFwd: number | undefined = undefined;
  private cContacts: Contact[] | undefined = undefined;
  private cContactStar = false;
  private cRoutes: NameAddr[] | undefined = undefined;
  private cRecordRoutes: NameAddr[] | undefined = undefined;
  private cCType: string | undefined = undefined;
  private cExpires: number | undefined = undefined;
  private cEvent: EventHeader | undefined = undefined;
  private cDate: Date | undefined = undefined;
  private cBody: Buffer | undefined = undefined;
  private cUri: SipUri | undefined = undefined;
  /**
   * First and last line of each header numbered up to HOT_MAX (-1 when absent), at `id * 2` and `id * 2 + 1`:
   * recorded by the parser while it indexes, so a proxy's header lookups never walk the index.
   */
  private readonly hot: number[];

  constructor(
    raw: Buffer,
    text: string,
    isRequest: boolean,
    method: string,
    ruri: string,
    status: number,
    reason: string,
    version: string,
    idx: number[],
    count: number,
    hot: number[],
    ruriStart: number,
    ruriEnd: number,
    headersStart: number,
    headersEnd: number,
    bodyStart: number,
    bodyEnd: number,
  ) {
    this.raw = raw;
    this.isRequest = isRequest;
    this.method = method;
    this.ruri = ruri;
    this.status = status;
    this.reason = reason;
    this.version = version;
    this.idx = idx;
    this.count = count;
    this.ruriStart = ruriStart;
    this.ruriEnd = ruriEnd;
    this.headersStart = headersStart;
    this.headersEnd = headersEnd;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.done = 0;
    this.text = text;
    this.ascii = 0;
    this.hot = hot;
  }

  // ---- generic header access -------------------------------------------------------------------------------

  /** @internal Index (0-based header line number) of the next line with that name at or after `from`, or -1. */
  findHeader(id: number, lname: string, from: number): number {
    const idx = this.idx;
    if (id >= 0 && id <= HOT_MAX) {
      const hot = this.hot;
      const first = hot[id * 2] as number;
      const last = hot[id * 2 + 1] as number;
      if (first < 0 || from > last) return -1;
      if (from <= first) return first;
      for (let k = from; k < last; k++) if ((idx[k * STRIDE + 1] as number) >> 1 === id) return k;
      return last;
    }
    if (id >= 0) {
      for (let k = from; k < this.count; k++) if ((idx[k * STRIDE + 1] as number) >> 1 === id) return k;
      return -1;
    }
    const raw = this.raw;
    const len = lname.length;
    outer: for (let k = from; k < this.count; k++) {
      const b = k * STRIDE;
      if ((idx[b + 1] as number) >> 1 !== -1) continue;
      const s = idx[b] as number;
      for (let j = 0; j < len; j++) {
        const x = raw[s + j] as number;
        const y = lname.charCodeAt(j);
        if (TOKEN[x] !== 1 || (x !== y && ((x | 0x20) !== y || y < 97 || y > 122))) continue outer;
      }
      // The name must end there (not merely start with lname).
      if (TOKEN[raw[s + len] as number] === 1) continue;
      return k;
    }
    return -1;
  }

  /**
   * The parser's latin1 text when the header block is ASCII (checked on first use), else null. Slicing it is
   * much cheaper than decoding each value from the buffer; latin1 equals UTF-8 only for ASCII, so other
   * messages decode value by value.
   */
  private headerText(): string | null {
    if (this.ascii === 0) {
      // The whole datagram is ASCII in the usual case: one check, no subarray.
      const raw = this.raw;
      if (isAscii(raw)) this.ascii = 1;
      else {
        // A partial message (parse error) may index a line past headersEnd.
        const last = this.count > 0 ? (this.idx[this.count * STRIDE] as number) : this.headersEnd;
        const end = last > this.headersEnd ? last : this.headersEnd;
        this.ascii = isAscii(raw.subarray(this.headersStart, end)) ? 1 : 2;
      }
    }
    return this.ascii === 1 ? this.text : null;
  }

  /** @internal Unfolded, trimmed value of header line `k`. */
  valueAt(k: number): string {
    const b = k * STRIDE;
    const vs = this.idx[b + 2] as number;
    const ve = this.idx[b + 3] as number;
    const h = this.headerText();
    const s = h !== null ? h.slice(vs, ve) : utf8(this.raw, vs, ve);
    // A folded value joins its lines: each CRLF with the whitespace around it counts as one SP (RFC 3261 7.3.1).
    return this.folded(k) ? s.replace(/[ \t]*\r?\n[ \t]*/g, ' ') : s;
  }

  /** @internal Offset in `raw` of the value of header line `k`. */
  valueOffset(k: number): number {
    return this.idx[k * STRIDE + 2] as number;
  }

  /** @internal Whether header line `k` continues on further lines. */
  folded(k: number): boolean {
    return ((this.idx[k * STRIDE + 1] as number) & 1) === 1;
  }

  /** @internal Offsets of line `k`: its start and its end (after the line break). */
  lineStart(k: number): number {
    return this.idx[k * STRIDE] as number;
  }

  lineEnd(k: number): number {
    return this.idx[(k + 1) * STRIDE] as number;
  }

  /** @internal Offset after the last byte of the value of header line `k`. */
  valueEnd(k: number): number {
    return this.idx[k * STRIDE + 3] as number;
  }

  /** Digits-only value of unfolded line `k` (1 to 9 digits) read from the bytes, or -1 (then decode the value). */
  private smallUintAt(k: number): number {
    const s = this.valueOffset(k);
    const e = this.valueEnd(k);
    if (this.folded(k) || e === s || e - s > 9) return -1;
    const raw = this.raw;
    let n = 0;
    for (let i = s; i < e; i++) {
      const d = (raw[i] as number) - 48;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** @internal Header number (-1 for unknown names) of line `k`. */
  idAt(k: number): number {
    return (this.idx[k * STRIDE + 1] as number) >> 1;
  }

  /** Name of header line `k` as written. */
  nameAt(k: number): string {
    const ns = this.lineStart(k);
    const raw = this.raw;
    let ne = ns;
    while (TOKEN[raw[ne] as number] === 1) ne++;
    const h = this.headerText();
    return h !== null ? h.slice(ns, ne) : utf8(this.raw, ns, ne);
  }

  /** First value of a header (long or compact name, any case), unfolded and trimmed. */
  header(name: string): string | undefined {
    const id = headerIdFromName(name);
    const k = this.findHeader(id, id >= 0 ? '' : name.toLowerCase(), 0);
    return k < 0 ? undefined : this.valueAt(k);
  }

  /** The value of every header line of that name, in order. */
  headerValues(name: string): string[] {
    const id = headerIdFromName(name);
    const lname = id >= 0 ? '' : name.toLowerCase();
    const out: string[] = [];
    for (let k = this.findHeader(id, lname, 0); k >= 0; k = this.findHeader(id, lname, k + 1)) out.push(this.valueAt(k));
    return out;
  }

  /** Every comma-separated element of every header line of that name (commas in quotes and `<>` respected). */
  headerList(name: string): string[] {
    const out: string[] = [];
    for (const v of this.headerValues(name)) for (const e of splitList(v)) out.push(e);
    return out;
  }

  hasHeader(name: string): boolean {
    const id = headerIdFromName(name);
    return this.findHeader(id, id >= 0 ? '' : name.toLowerCase(), 0) >= 0;
  }

  /** Names of all header lines as written, in order (duplicates kept). */
  headerNames(): string[] {
    const out: string[] = [];
    for (let k = 0; k < this.count; k++) out.push(this.nameAt(k));
    return out;
  }

  private countOf(id: number): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) if (this.idAt(k) === id) n++;
    return n;
  }

  private required(id: number): number {
    const k = this.findHeader(id, '', 0);
    if (k < 0) {
      throw new SipParseError('E_PARSE_MISSING_HEADER', `missing ${CANONICAL_NAMES[id] ?? ''} header`, this.headersStart, CANONICAL_NAMES[id]);
    }
    return k;
  }

  /** Elements of all lines of header `id`, each with the offset of its line's value. */
  private listOf(id: number): { text: string; at: number }[] {
    const out: { text: string; at: number }[] = [];
    for (let k = this.findHeader(id, '', 0); k >= 0; k = this.findHeader(id, '', k + 1)) {
      const at = this.valueOffset(k);
      for (const text of splitList(this.valueAt(k))) out.push({ text, at });
    }
    return out;
  }

  // ---- typed accessors (lazy, cached) ----------------------------------------------------------------------

  /** All Via values, top first. */
  get via(): Via[] {
    if (this.cVia === undefined) {
      const out: Via[] = [];
      for (let k = this.findHeader(Hdr.Via, '', 0); k >= 0; k = this.findHeader(Hdr.Via, '', k + 1)) this.viasOfLine(k, out, false);
      if (this.cTopVia !== undefined && out.length > 0) out[0] = this.cTopVia;
      this.cVia = out;
      if (this.cTopVia === undefined) this.cTopVia = out[0];
    }
    return this.cVia;
  }

  /** The first Via value; parses only that one. Throws SipParseError when there is no Via. */
  get topVia(): Via {
    if (this.cTopVia === undefined) {
      if (this.cVia !== undefined && this.cVia.length > 0) return (this.cTopVia = this.cVia[0] as Via);
      const k = this.findHeader(Hdr.Via, '', 0);
      if (k < 0) throw new SipParseError('E_PARSE_VIA', 'missing Via header', this.headersStart, 'Via');
      const one: Via[] = [];
      this.viasOfLine(k, one, true);
      return (this.cTopVia = one[0] as Via);
    }
    return this.cTopVia;
  }

  /**
   * Appends the Via values of line `k` (only the first when `first`). On an ASCII, unfolded line each value of
   * the usual shape is read from the bytes, up to its comma; at the first other one the whole line goes
   * through splitList and parseVia, which own the grammar and its errors.
   */
  private viasOfLine(k: number, out: Via[], first: boolean): void {
    const h = this.headerText();
    const at = this.valueOffset(k);
    if (h !== null && !this.folded(k)) {
      const raw = this.raw;
      const end = this.valueEnd(k);
      const mark = out.length;
      let s = at;
      for (;;) {
        const v = viaFromBytes(raw, s, end, h);
        if (v === undefined) break;
        out.push(v);
        const c = VIA_SCAN.end;
        if (first || c >= end) return;
        s = c + 1;
        while (s < end && isWs(raw[s] as number)) s++;
        if (s >= end) break;
      }
      out.length = mark;
    }
    const v = this.valueAt(k);
    if (first) {
      const comma = nextListComma(v, 0);
      // Trimmed like splitList's elements, so topVia equals via[0].
      out.push(parseVia(comma < 0 ? v : trimLws(v.slice(0, comma)), at));
      return;
    }
    for (const text of splitList(v)) out.push(parseVia(text, at));
  }

  get from(): NameAddr {
    if (this.cFrom === undefined) {
      const k = this.required(Hdr.From);
      this.cFrom = this.nameAddrAt(k, 'From');
    }
    return this.cFrom;
  }

  get to(): NameAddr {
    if (this.cTo === undefined) {
      const k = this.required(Hdr.To);
      this.cTo = this.nameAddrAt(k, 'To');
    }
    return this.cTo;
  }

  get callId(): string {
    if (this.cCallId === undefined) {
      const k = this.required(Hdr.CallId);
      const v = this.valueAt(k);
      if (v.length === 0) throw headerError('E_PARSE_HEADER', 'Call-ID', this.valueOffset(k), 'empty value');
      // An unfolded ASCII value is checked on its bytes; otherwise indexOf, and the loop only places the error.
      if (this.wsInValue(k) && (v.indexOf(' ') >= 0 || v.indexOf('\t') >= 0 || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0)) {
        for (let i = 0; i < v.length; i++) {
          if (isWs(v.charCodeAt(i))) throw headerError('E_PARSE_HEADER', 'Call-ID', this.valueOffset(k) + i, 'whitespace inside the Call-ID');
        }
      }
      this.cCallId = v;
    }
    return this.cCallId;
  }

  /** False when unfolded line `k` of an ASCII header block has no SP, HTAB, CR or LF in its value; else true (look closer). */
  private wsInValue(k: number): boolean {
    if (this.folded(k) || this.ascii !== 1) return true;
    const raw = this.raw;
    const e = this.valueEnd(k);
    for (let i = this.valueOffset(k); i < e; i++) {
      const c = raw[i] as number;
      if (c <= 32 && isWs(c)) return true;
    }
    return false;
  }

  get cseq(): CSeq {
    if (this.cCSeq === undefined) {
      const k = this.required(Hdr.CSeq);
      this.cCSeq = this.cseqFromBytes(k) ?? parseCSeq(this.valueAt(k), this.valueOffset(k));
    }
    return this.cCSeq;
  }

  /**
   * CSeq of the usual shape (unfolded, 1 to 9 digits, whitespace, a token) read from the bytes, the method
   * shared with the start line's when equal; undefined otherwise (parseCSeq owns the grammar and errors).
   */
  private cseqFromBytes(k: number): CSeq | undefined {
    if (this.folded(k)) return undefined;
    const raw = this.raw;
    let i = this.valueOffset(k);
    const e = this.valueEnd(k);
    const ds = i;
    let seq = 0;
    for (; i < e; i++) {
      const d = (raw[i] as number) - 48;
      if (d < 0 || d > 9) break;
      seq = seq * 10 + d;
    }
    if (i === ds || i - ds > 9 || (raw[i] !== SP && raw[i] !== HT)) return undefined;
    while (i < e && (raw[i] === SP || raw[i] === HT)) i++;
    const ms = i;
    if (ms === e) return undefined;
    // Usually the request's own method, already checked as a token on the start line.
    const m = this.method;
    let same = m.length === e - ms;
    for (let j = 0; same && j < m.length; j++) same = m.charCodeAt(j) === raw[ms + j];
    if (same) return { seq, method: m };
    for (; i < e; i++) if (TOKEN[raw[i] as number] !== 1) return undefined;
    return { seq, method: methodAt(raw, ms, e) };
  }

  /** Max-Forwards (0-255), undefined when absent. */
  get maxForwards(): number | undefined {
    if ((this.done & D_MAXFWD) === 0) {
      const k = this.findHeader(Hdr.MaxForwards, '', 0);
      if (k >= 0) {
        let n = this.smallUintAt(k);
        if (n < 0) n = parseUint(this.valueAt(k));
        if (n < 0) throw headerError('E_PARSE_HEADER', 'Max-Forwards', this.valueOffset(k), 'not a number');
        if (n > 255) throw headerError('E_PARSE_RANGE', 'Max-Forwards', this.valueOffset(k), `${this.valueAt(k)} exceeds 255`);
        this.cMaxFwd = n;
      }
      this.done |= D_MAXFWD;
    }
    return this.cMaxFwd;
  }

  /** Contact values (empty for `Contact: *`, see contactStar). */
  get contacts(): Contact[] {
    this.loadContacts();
    return this.cContacts as Contact[];
  }

  /** `Contact: *` (REGISTER removing all bindings). */
  get contactStar(): boolean {
    this.loadContacts();
    return this.cContactStar;
  }

  private loadContacts(): void {
    if ((this.done & D_CONTACTS) !== 0) return;
    const out: Contact[] = [];
    let star = false;
    for (const e of this.listOf(Hdr.Contact)) {
      if (e.text === '*') {
        star = true;
        continue;
      }
      const p = parseNameAddrParts(e.text, 'Contact', e.at);
      out.push(new Contact(p.displayName, p.uriText, p.params, p.raw, e.at, p.uriAt));
    }
    if (star && out.length > 0) throw headerError('E_PARSE_HEADER', 'Contact', this.headersStart, '"*" mixed with other contacts');
    this.cContacts = out;
    this.cContactStar = star;
    this.done |= D_CONTACTS;
  }

  get routes(): NameAddr[] {
    if (this.cRoutes === undefined) this.cRoutes = this.nameAddrList(Hdr.Route, 'Route');
    return this.cRoutes;
  }

  get recordRoutes(): NameAddr[] {
    if (this.cRecordRoutes === undefined) this.cRecordRoutes = this.nameAddrList(Hdr.RecordRoute, 'Record-Route');
    return this.cRecordRoutes;
  }

  /** The single name-addr of line `k`: from the bytes when it has the usual shape, else parseNameAddrParts. */
  private nameAddrAt(k: number, header: string): NameAddr {
    const h = this.headerText();
    if (h !== null && !this.folded(k)) {
      const s = this.valueOffset(k);
      const e = this.valueEnd(k);
      const v = nameAddrFromBytes(this.raw, s, e, h, header, s, s);
      if (v !== undefined && NAME_ADDR_SCAN.end === e) return v;
    }
    return nameAddrOf(this.valueAt(k), header, this.valueOffset(k));
  }

  /**
   * Every name-addr of every line of header `id`. On an ASCII, unfolded line each value of the usual shape
   * is read from the bytes up to its comma; at the first other one the whole line goes through splitList.
   */
  private nameAddrList(id: number, header: string): NameAddr[] {
    const out: NameAddr[] = [];
    const h = this.headerText();
    const raw = this.raw;
    for (let k = this.findHeader(id, '', 0); k >= 0; k = this.findHeader(id, '', k + 1)) {
      const at = this.valueOffset(k);
      if (h !== null && !this.folded(k)) {
        const end = this.valueEnd(k);
        const mark = out.length;
        let s = at;
        let ok = false;
        for (;;) {
          const v = nameAddrFromBytes(raw, s, end, h, header, at, s);
          if (v === undefined) break;
          out.push(v);
          const c = NAME_ADDR_SCAN.end;
          if (c >= end) {
            ok = true;
            break;
          }
          s = c + 1;
          while (s < end && isWs(raw[s] as number)) s++;
          if (s >= end) break;
        }
        if (ok) continue;
        out.length = mark;
      }
      for (const text of splitList(this.valueAt(k))) out.push(nameAddrOf(text, header, at));
    }
    return out;
  }

  /** Body length in bytes (the Content-Length used for framing, or the rest of the datagram without one). */
  get contentLength(): number {
    return this.bodyEnd - this.bodyStart;
  }

  get contentType(): string | undefined {
    if ((this.done & D_CTYPE) === 0) {
      this.cCType = this.header('Content-Type');
      this.done |= D_CTYPE;
    }
    return this.cCType;
  }

  /** Expires header in seconds (0 to 2**32-1), undefined when absent. */
  get expires(): number | undefined {
    if ((this.done & D_EXPIRES) === 0) {
      const k = this.findHeader(Hdr.Expires, '', 0);
      if (k >= 0) {
        const v = this.valueAt(k);
        const n = parseUint(v);
        if (n < 0) throw headerError('E_PARSE_HEADER', 'Expires', this.valueOffset(k), `"${v}" is not a number of seconds`);
        if (n > 0xffffffff) throw headerError('E_PARSE_RANGE', 'Expires', this.valueOffset(k), `${v} exceeds 2**32-1`);
        this.cExpires = n;
      }
      this.done |= D_EXPIRES;
    }
    return this.cExpires;
  }

  get event(): EventHeader | undefined {
    if ((this.done & D_EVENT) === 0) {
      const k = this.findHeader(Hdr.Event, '', 0);
      if (k >= 0) this.cEvent = parseEvent(this.valueAt(k), this.valueOffset(k));
      this.done |= D_EVENT;
    }
    return this.cEvent;
  }

  /** Date header (RFC 1123, GMT only), undefined when absent. */
  get date(): Date | undefined {
    if ((this.done & D_DATE) === 0) {
      const k = this.findHeader(Hdr.Date, '', 0);
      if (k >= 0) this.cDate = parseSipDate(this.valueAt(k), this.valueOffset(k));
      this.done |= D_DATE;
    }
    return this.cDate;
  }

  get allow(): string[] {
    return this.tokens('Allow');
  }

  get supported(): string[] {
    return this.tokens('Supported');
  }

  get require(): string[] {
    return this.tokens('Require');
  }

  get proxyRequire(): string[] {
    return this.tokens('Proxy-Require');
  }

  private tokens(name: string): string[] {
    return this.headerList(name).filter((t) => t.length > 0);
  }

  /** The body bytes (a view of `raw`, never a copy). */
  get body(): Buffer {
    if (this.cBody === undefined) this.cBody = this.raw.subarray(this.bodyStart, this.bodyEnd);
    return this.cBody;
  }

  /** The parsed Request-URI. Throws SipParseError 'E_PARSE_URI' for responses or a bad URI. */
  get uri(): SipUri {
    if (this.cUri === undefined) {
      if (!this.isRequest) throw new SipParseError('E_PARSE_URI', 'a response has no Request-URI', 0);
      try {
        this.cUri = parseUri(this.ruri);
      } catch (e) {
        if (e instanceof SipParseError) {
          throw new SipParseError('E_PARSE_URI', `Request-URI at offset ${this.ruriStart}: ${e.message}`, this.ruriStart + Math.max(0, e.offset));
        }
        throw e;
      }
    }
    return this.cUri;
  }

  get authorization(): DigestCredentials[] {
    return this.auth(Hdr.Authorization, 'Authorization', parseCredentials);
  }

  get proxyAuthorization(): DigestCredentials[] {
    return this.auth(Hdr.ProxyAuthorization, 'Proxy-Authorization', parseCredentials);
  }

  get wwwAuthenticate(): DigestChallenge[] {
    return this.auth(Hdr.WwwAuthenticate, 'WWW-Authenticate', parseChallenge);
  }

  get proxyAuthenticate(): DigestChallenge[] {
    return this.auth(Hdr.ProxyAuthenticate, 'Proxy-Authenticate', parseChallenge);
  }

  // Each line holds one credential or challenge: commas there separate auth-params, not values.
  private auth<T>(id: number, name: string, parse: (text: string, header: string, base: number) => T): T[] {
    const out: T[] = [];
    for (let k = this.findHeader(id, '', 0); k >= 0; k = this.findHeader(id, '', k + 1)) {
      out.push(parse(this.valueAt(k), name, this.valueOffset(k)));
    }
    return out;
  }

  /**
   * Checks what a proxy relies on and throws SipParseError at the first problem: version SIP/2.0
   * ('E_PARSE_VERSION', answer 505), status 100-699, one each of From/To/Call-ID/CSeq and at least one Via
   * ('E_PARSE_MISSING_HEADER', 'E_PARSE_DUPLICATE_HEADER'), the syntax of every Via, From, To, CSeq, the CSeq
   * method matching the request method, the From and To URIs of a request, Max-Forwards <= 255, Expires and CSeq <= 2**32-1 ('E_PARSE_RANGE'),
   * agreeing Content-Length headers, and a Request-URI that parses and carries no headers.
   */
  validate(): void {
    if (!eqi(this.version, 'SIP/2.0')) {
      throw new SipParseError('E_PARSE_VERSION', `unsupported SIP version "${this.version}"`, this.isRequest ? this.ruriEnd + 1 : 0);
    }
    if (!this.isRequest && (this.status < 100 || this.status > 699)) {
      throw new SipParseError('E_PARSE_STATUS', `status code ${this.status} is outside 100-699`, 8);
    }
    if (this.findHeader(Hdr.Via, '', 0) < 0) throw new SipParseError('E_PARSE_MISSING_HEADER', 'missing Via header', this.headersStart, 'Via');
    for (const id of [Hdr.From, Hdr.To, Hdr.CallId, Hdr.CSeq, Hdr.MaxForwards]) {
      if (id !== Hdr.MaxForwards) this.required(id);
      if (this.countOf(id) > 1) {
        const name = CANONICAL_NAMES[id] as string;
        throw new SipParseError(
          'E_PARSE_DUPLICATE_HEADER',
          `more than one ${name} header`,
          this.valueOffset(this.findHeader(id, '', this.findHeader(id, '', 0) + 1)),
          name,
        );
      }
    }
    void this.via;
    // From/To URIs are parsed on first use; a proxy still rejects a bad one in a request up front. A
    // response's are not parsed here: a proxy relays them untouched, and nothing can be answered to it.
    if (this.isRequest) {
      void this.from.uri;
      void this.to.uri;
    } else {
      void this.from;
      void this.to;
    }
    void this.callId;
    const cseq = this.cseq;
    if (this.isRequest && cseq.method !== this.method) {
      const k = this.findHeader(Hdr.CSeq, '', 0);
      throw headerError('E_PARSE_CSEQ', 'CSeq', this.valueOffset(k), `method "${cseq.method}" does not match the request method "${this.method}"`);
    }
    void this.maxForwards;
    void this.expires;
    let cl = -1;
    for (let k = this.findHeader(Hdr.ContentLength, '', 0); k >= 0; k = this.findHeader(Hdr.ContentLength, '', k + 1)) {
      const n = parseUint(trimLws(this.valueAt(k)));
      if (cl >= 0 && n !== cl) throw headerError('E_PARSE_CONTENT_LENGTH', 'Content-Length', this.valueOffset(k), 'conflicting Content-Length values');
      cl = n;
    }
    if (this.isRequest) {
      const u = this.uri;
      if (u.headers.size > 0) {
        throw new SipParseError('E_PARSE_URI', `Request-URI at offset ${this.ruriStart}: headers are not allowed in a Request-URI`, this.ruriStart);
      }
    }
  }

  /**
   * Forgets every header value decoded so far (Vias, From, To, URIs, Routes…); the next read decodes it
   * again from the bytes. For a message kept long after it was routed, such as a transaction's request
   * during wt_timer: those objects are most of its heap. Objects already handed out stay valid.
   */
  dropCaches(): void {
    // The same fields the declarations above start as undefined.
    this.done = 0;
    this.cVia = undefined;
    this.cTopVia = undefined;
    this.cFrom = undefined;
    this.cTo = undefined;
    this.cCallId = undefined;
    this.cCSeq = undefined;
    this.cMaxFwd = undefined;
    this.cContacts = undefined;
    this.cContactStar = false;
    this.cRoutes = undefined;
    this.cRecordRoutes = undefined;
    this.cCType = undefined;
    this.cExpires = undefined;
    this.cEvent = undefined;
    this.cDate = undefined;
    this.cBody = undefined;
    this.cUri = undefined;
  }

  /** A new, independent set of edits over this message. */
  edit(): MessageEdit {
    return new MessageEdit(this);
  }
}
