import { CR, HT, LF, SP, TOKEN, latin1, utf8 } from './chars.js';
import { HOT_MAX, Hdr, NAME_MATCH, STRIDE, knownNameAt, knownNameBeforeColon } from './header-names.js';
import { DEFAULT_PARSE_LIMITS } from './limits.js';
import type { ParseLimits } from './limits.js';

export type { ParseLimits } from './limits.js';
import { SipMessage } from './message.js';
import { SipParseError } from './parse-error.js';
import { methodAt } from './methods.js';

function asciiAt(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if ((buf[i] as number) >= 128) return false;
  return true;
}

function isSipVersion(buf: Buffer, s: number, e: number): boolean {
  return e - s === 7 && buf[s] === 83 && buf[s + 1] === 73 && buf[s + 2] === 80 && buf[s + 3] === 47 && buf[s + 4] === 50 && buf[s + 5] === 46 && buf[s + 6] === 48;
}

/** The start line's parts and where the headers begin. */
interface StartLine {
  isRequest: boolean;
  method: string;
  ruri: string;
  status: number;
  reason: string;
  version: string;
  ruriStart: number;
  ruriEnd: number;
  next: number;
}

function parseStartLine(buf: Buffer, text: string, p: number, maxLine: number): StartLine {
  const len = buf.length;
  const lineStart = p;
  p = text.indexOf('\n', p);
  if (p < 0) p = len;
  if (p >= len) throw new SipParseError('E_PARSE_START_LINE', 'start line is not terminated by CRLF', lineStart);
  const lineEnd = p > lineStart && buf[p - 1] === CR ? p - 1 : p;
  if (lineEnd - lineStart > maxLine) throw new SipParseError('E_PARSE_LIMIT', `start line longer than ${maxLine} bytes`, lineStart);
  const next = p + 1;
  let isRequest: boolean;
  let method = '';
  let ruri = '';
  let status = 0;
  let reason = '';
  let version: string;
  let ruriStart = 0;
  let ruriEnd = 0;
  let sp1 = lineStart;
  while (sp1 < lineEnd && buf[sp1] !== SP) sp1++;
  if (sp1 >= lineEnd) throw new SipParseError('E_PARSE_START_LINE', 'start line has no space', lineStart);
  if (sp1 - lineStart > 4 && buf[lineStart] === 83 && buf[lineStart + 1] === 73 && buf[lineStart + 2] === 80 && buf[lineStart + 3] === 47) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    isRequest = false;
    version = isSipVersion(buf, lineStart, sp1) ? 'SIP/2.0' : text.slice(lineStart, sp1);
    let i = sp1 + 1;
    const cs = i;
    while (i < lineEnd && buf[i] !== SP) {
      const c = buf[i] as number;
      if (c < 48 || c > 57) throw new SipParseError('E_PARSE_START_LINE', `status code is not a number at offset ${i}`, i);
      status = status * 10 + (c - 48);
      i++;
    }
    if (i === cs || i - cs > 10) throw new SipParseError('E_PARSE_START_LINE', `bad status code at offset ${cs}`, cs);
    if (i < lineEnd) reason = asciiAt(buf, i + 1, lineEnd) ? text.slice(i + 1, lineEnd) : utf8(buf, i + 1, lineEnd);
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version, single spaces only (RFC 4475 lwsstart, trws).
    isRequest = true;
    for (let i = lineStart; i < sp1; i++) {
      if (TOKEN[buf[i] as number] !== 1) throw new SipParseError('E_PARSE_START_LINE', `bad character in method at offset ${i}`, i);
    }
    method = methodAt(buf, lineStart, sp1);
    ruriStart = sp1 + 1;
    let i = ruriStart;
    while (i < lineEnd && buf[i] !== SP) {
      const c = buf[i] as number;
      if (c < 33 || c === 127 || c === 60 || c === 62) {
        throw new SipParseError('E_PARSE_START_LINE', `bad character in Request-URI at offset ${i}`, i);
      }
      i++;
    }
    ruriEnd = i;
    if (ruriEnd === ruriStart)
      throw new SipParseError('E_PARSE_START_LINE', `empty Request-URI at offset ${ruriStart} (elements must be separated by a single space)`, ruriStart);
    if (i >= lineEnd) throw new SipParseError('E_PARSE_START_LINE', 'request line has no SIP version', i);
    const vs = i + 1;
    for (let j = vs; j < lineEnd; j++) {
      const c = buf[j] as number;
      if (c === SP)
        throw new SipParseError('E_PARSE_START_LINE', `request line has more than two spaces (at offset ${j}): whitespace in the Request-URI or after the version`, j);
      if (c < 32 || c >= 127) throw new SipParseError('E_PARSE_START_LINE', `unexpected character in the SIP version at offset ${j}`, j);
    }
    if (vs >= lineEnd) throw new SipParseError('E_PARSE_START_LINE', 'request line has no SIP version', vs);
    version = isSipVersion(buf, vs, lineEnd) ? 'SIP/2.0' : text.slice(vs, lineEnd);
    ruri = text.slice(ruriStart, ruriEnd);
  }

  return { isRequest, method, ruri, status, reason, version, ruriStart, ruriEnd, next };
}

/**
 * Slots the last message's index used: the next index is allocated that size up front (writes then stay in
 * bounds; a longer one still grows), instead of growing from empty or copying out of a scratch array.
 */
let indexSlots = 16 * STRIDE + 1;

/** Messages up to this size are decoded whole; larger ones only up to the end of their headers. */
const DECODE_WHOLE = 8192;

/**
 * The message as latin1 text (one character per byte, so string positions are byte offsets): whole when
 * small, else up to and including the empty line after the headers (or whole when there is none).
 */
function decodeHead(buf: Buffer, p: number): string {
  const len = buf.length;
  if (len <= DECODE_WHOLE) return latin1(buf, 0, len);
  for (let lf = buf.indexOf(LF, p); lf >= 0 && lf + 1 < len; lf = buf.indexOf(LF, lf + 1)) {
    const n = buf[lf + 1];
    if (n === LF) return latin1(buf, 0, lf + 2);
    if (n === CR && buf[lf + 2] === LF) return latin1(buf, 0, lf + 3);
  }
  return latin1(buf, 0, len);
}

/** An error carrying the message as far as it was indexed (kept out of parseMessage so no closure captures its loop state). */
function failAt(
  buf: Buffer,
  text: string,
  sl: StartLine,
  idx: number[],
  hot: number[],
  n: number,
  headersStart: number,
  p: number,
  code: string,
  what: string,
  at: number,
  header?: string,
): SipParseError {
  const partial = new SipMessage(
    buf,
    text,
    sl.isRequest,
    sl.method,
    sl.ruri,
    sl.status,
    sl.reason,
    sl.version,
    idx,
    n / STRIDE,
    hot,
    sl.ruriStart,
    sl.ruriEnd,
    headersStart,
    p,
    p,
    p,
  );
  return new SipParseError(code, what, at, header, partial);
}

/**
 * Parses one SIP message from a datagram or a framed stream chunk. Only the start line, the header index
 * (names, value positions, folding) and Content-Length are decoded here; everything else waits for first
 * access on the returned SipMessage. Bytes after Content-Length are ignored (RFC 4475 dblreq); without
 * Content-Length the body is the rest of the buffer. Throws SipParseError.
 */
export function parseMessage(buf: Buffer, limits?: Partial<ParseLimits>): SipMessage {
  const maxSize = limits?.maxMessageSize ?? DEFAULT_PARSE_LIMITS.maxMessageSize;
  const maxHeaders = limits?.maxHeaders ?? DEFAULT_PARSE_LIMITS.maxHeaders;
  const maxLine = limits?.maxLineLength ?? DEFAULT_PARSE_LIMITS.maxLineLength;
  const len = buf.length;
  if (len > maxSize) throw new SipParseError('E_PARSE_LIMIT', `message of ${len} bytes exceeds the limit of ${maxSize}`, maxSize);

  // RFC 3261 7.5: CRLFs before the start line are ignored (stream keep-alives).
  let p = 0;
  while (p < len && (buf[p] === CR || buf[p] === LF)) p++;
  if (p >= len) throw new SipParseError('E_PARSE_START_LINE', 'empty message', p);
  const text = decodeHead(buf, p);

  // ---- start line ----
  let sl: StartLine;
  try {
    sl = parseStartLine(buf, text, p, maxLine);
  } catch (err) {
    throw withLooseRequestLine(err, buf, text, p, maxHeaders, maxLine);
  }
  return parseHeaders(buf, text, sl, maxHeaders, maxLine);
}

/**
 * A request line we refuse (extra spaces, <> around the URI, RFC 4475 3.1.2.7-10) still deserves a 400:
 * read it loosely (method, first and last words) only to index the headers, and attach that as `partial`.
 */
function withLooseRequestLine(err: unknown, buf: Buffer, text: string, p: number, maxHeaders: number, maxLine: number): unknown {
  if (!(err instanceof SipParseError) || err.code !== 'E_PARSE_START_LINE') return err;
  const lf = buf.indexOf(LF, p);
  if (lf < 0 || lf - p > maxLine) return err;
  const words = latin1(buf, p, lf)
    .trim()
    .split(/[ \t]+/);
  const method = words[0] ?? '';
  const version = words[words.length - 1] ?? '';
  if (words.length < 3 || !version.startsWith('SIP/') || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(method)) return err;
  const loose: StartLine = { isRequest: true, method, ruri: words.slice(1, -1).join(' '), status: 0, reason: '', version, ruriStart: p, ruriEnd: p, next: lf + 1 };
  try {
    const partial = parseHeaders(buf, text, loose, maxHeaders, maxLine);
    return new SipParseError(err.code, err.message, err.offset, err.header, partial);
  } catch (inner) {
    return inner instanceof SipParseError && inner.partial ? new SipParseError(err.code, err.message, err.offset, err.header, inner.partial) : err;
  }
}

/** Indexes the headers after the start line and frames the body. */
function parseHeaders(buf: Buffer, text: string, sl: StartLine, maxHeaders: number, maxLine: number): SipMessage {
  const len = buf.length;
  let p = sl.next;
  // ---- header index ----
  const headersStart = p;
  const idx = new Array<number>(indexSlots);
  // First and last line of each header up to HOT_MAX (see SipMessage.hot); a literal is a cheap boilerplate copy.
  const hot = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
  const token = TOKEN;
  let n = 0;
  idx[0] = p;
  let contentLength = -1;
  let clAt = -1;
  let headersEnd = -1;
  let bodyStart = -1;
  while (p < len) {
    const c = buf[p];
    if (c === CR && buf[p + 1] === LF) {
      headersEnd = p;
      bodyStart = p + 2;
      break;
    }
    if (c === LF) {
      headersEnd = p;
      bodyStart = p + 1;
      break;
    }
    if (c === SP || c === HT)
      throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_HEADER', `line at offset ${p} starts with whitespace but continues no header`, p);
    if (n >= maxHeaders * STRIDE) throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_LIMIT', `more than ${maxHeaders} header lines`, p);
    // name *WSP ":"
    const nameStart = p;
    let physStart = p;
    // Usually a known name right before its colon; anything else takes the general walk below.
    let id = knownNameBeforeColon(buf, p);
    if (id >= 0) {
      p = NAME_MATCH.end;
    } else {
      id = knownNameAt(buf, p);
      if (id >= 0) p = NAME_MATCH.end;
      else while (p < len && token[buf[p] as number] === 1) p++;
      const nameEnd = p;
      while (p < len && (buf[p] === SP || buf[p] === HT)) p++;
      if (buf[p] !== 58) {
        if (p >= len) break;
        throw failAt(
          buf,
          text,
          sl,
          idx,
          hot,
          n,
          headersStart,
          p,
          'E_PARSE_HEADER',
          nameEnd === nameStart
            ? `header line at offset ${nameStart} has no name`
            : `header at offset ${nameStart}: expected ":" after the name, found byte ${buf[p] as number}`,
          p,
        );
      }
      if (nameEnd === nameStart) throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_HEADER', `header line at offset ${nameStart} has no name`, nameStart);
    }
    p++;
    const afterColon = p;
    // value: first and last non-whitespace byte across continuation lines; line ends found in the text (memchr).
    let valueStart = -1;
    let valueEnd = -1;
    let folded = 0;
    for (;;) {
      while (p < len && (buf[p] === SP || buf[p] === HT)) p++;
      const lf = text.indexOf('\n', p);
      const eol = lf < 0 ? len : lf;
      if (eol - physStart > maxLine)
        throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_LIMIT', `header line at offset ${physStart} longer than ${maxLine} bytes`, physStart);
      let e = eol;
      while (e > p) {
        const b = buf[e - 1];
        if (b !== SP && b !== HT && b !== CR) break;
        e--;
      }
      if (e > p) {
        if (valueStart < 0) valueStart = p;
        else folded = 1;
        valueEnd = e;
      }
      if (lf < 0) {
        p = len;
        break;
      }
      p = lf + 1;
      const nx = buf[p];
      if (nx !== SP && nx !== HT) break;
      physStart = p;
    }
    if (valueStart < 0) valueStart = valueEnd = afterColon;
    if (p >= len && buf[len - 1] !== LF) break;
    // Slot n already holds nameStart (the previous line's end).
    idx[n + 1] = id * 2 + folded;
    idx[n + 2] = valueStart;
    idx[n + 3] = valueEnd;
    if (id <= HOT_MAX && id >= 0) {
      const k = n / STRIDE;
      if ((hot[id * 2] as number) < 0) hot[id * 2] = k;
      hot[id * 2 + 1] = k;
    }
    n += STRIDE;
    idx[n] = p;
    // Only the first Content-Length frames the body; validate() reports conflicting ones (RFC 4475 mcl01).
    if (id === Hdr.ContentLength && contentLength < 0) {
      clAt = valueStart;
      let v = 0;
      for (let i = valueStart; i < valueEnd; i++) {
        const d = (buf[i] as number) - 48;
        if (d < 0 || d > 9 || v > 1e9) {
          p = valueStart;
          throw failAt(
            buf,
            text,
            sl,
            idx,
            hot,
            n,
            headersStart,
            p,
            'E_PARSE_CONTENT_LENGTH',
            `Content-Length at offset ${valueStart} is not a non-negative number`,
            valueStart,
            'Content-Length',
          );
        }
        v = v * 10 + d;
      }
      if (valueEnd === valueStart)
        throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_CONTENT_LENGTH', `empty Content-Length at offset ${valueStart}`, valueStart, 'Content-Length');
      contentLength = v;
    }
  }
  if (headersEnd < 0)
    throw failAt(buf, text, sl, idx, hot, n, headersStart, p, 'E_PARSE_TRUNCATED', `no empty line after the headers (message ends at offset ${len})`, len);

  let bodyEnd = len;
  if (contentLength >= 0) {
    bodyEnd = bodyStart + contentLength;
    if (bodyEnd > len) {
      p = headersEnd;
      throw new SipParseError(
        'E_PARSE_CONTENT_LENGTH',
        `Content-Length at offset ${clAt} says ${contentLength} bytes but only ${len - bodyStart} follow the headers`,
        clAt,
        'Content-Length',
        new SipMessage(
          buf,
          text,
          sl.isRequest,
          sl.method,
          sl.ruri,
          sl.status,
          sl.reason,
          sl.version,
          idx,
          n / STRIDE,
          hot,
          sl.ruriStart,
          sl.ruriEnd,
          headersStart,
          headersEnd,
          bodyStart,
          len,
        ),
      );
    }
  }
  indexSlots = n + 1;
  return new SipMessage(
    buf,
    text,
    sl.isRequest,
    sl.method,
    sl.ruri,
    sl.status,
    sl.reason,
    sl.version,
    idx,
    n / STRIDE,
    hot,
    sl.ruriStart,
    sl.ruriEnd,
    headersStart,
    headersEnd,
    bodyStart,
    bodyEnd,
  );
}
