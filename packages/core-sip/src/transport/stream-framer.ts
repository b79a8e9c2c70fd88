/**
 * Splits a TCP/TLS byte stream into SIP messages (RFC 3261 18.3): headers end at the first CRLFCRLF, the body is
 * Content-Length bytes long. Between messages, RFC 5626 3.5.1 keep-alives: a CRLFCRLF ping gets a CRLF pong and
 * a lone CRLF is skipped.
 *
 * Incoming chunks are kept in a list and only copied when a message spans several of them, so a peer that
 * trickles bytes costs one scan per byte, not one re-concatenation of the buffer per data event.
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** Content-Length scan results besides a length. */
export const CL_ABSENT = -1;
export const CL_INVALID = -2;

export interface FramerEvents {
  /** A whole message (start line, headers, body). May share memory with the socket's chunk. */
  onMessage(message: Buffer): void;
  /** A CRLFCRLF keep-alive ping arrived between messages: answer with CRLF. */
  onPing(): void;
  /** The stream cannot be resynchronised (oversize, bad Content-Length): the caller closes the connection. */
  onError(reason: string): void;
}

type KeepAlive = 'wait' | 'consumed' | 'none';

export class StreamFramer {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already handed out. */
  private head = 0;
  /** Bytes not yet handed out, over all chunks. */
  private buffered = 0;
  // Where the CRLFCRLF search stopped: chunk index, offset in it, bytes from the message start, and how many
  // bytes of the terminator the end of the scanned data already matched (a terminator may straddle chunks).
  private scanChunk = 0;
  private scanOff = 0;
  private scanned = 0;
  private match = 0;
  /** Length of the current message once its headers are complete, else -1. */
  private total = -1;
  private failed = false;

  constructor(
    private readonly maxSize: number,
    private readonly events: FramerEvents,
  ) {}

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;

    while (!this.failed && this.buffered > 0) {
      if (this.total < 0) {
        if (this.scanned === 0 && this.match === 0) {
          const ka = this.keepAlive();
          if (ka === 'wait') return;
          if (ka === 'consumed') continue;
        }
        const headerLen = this.findHeaderEnd();
        if (headerLen < 0) {
          if (this.buffered > this.maxSize) this.fail(`headers exceed ${this.maxSize} bytes without CRLFCRLF`);
          return;
        }
        const headers = this.contiguous(headerLen);
        const cl = scanContentLength(headers, this.head, this.head + headerLen);
        if (cl === CL_INVALID) {
          this.fail('invalid or conflicting Content-Length');
          return;
        }
        // RFC 3261 18.3 makes Content-Length mandatory on streams; the parser rejects its absence if it must.
        this.total = headerLen + (cl === CL_ABSENT ? 0 : cl);
        if (this.total > this.maxSize) {
          this.fail(`message of ${this.total} bytes exceeds ${this.maxSize}`);
          return;
        }
      }
      if (this.buffered < this.total) return;
      const message = this.take(this.total);
      this.total = -1;
      this.resetScan();
      this.events.onMessage(message);
    }
  }

  private fail(reason: string): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.head = 0;
    this.events.onError(reason);
  }

  private resetScan(): void {
    this.scanChunk = 0;
    this.scanOff = this.head;
    this.scanned = 0;
    this.match = 0;
  }

  /** Byte at logical offset i (only used for the first few bytes). */
  private byteAt(i: number): number {
    let off = this.head + i;
    for (const c of this.chunks) {
      if (off < c.length) return c[off] ?? -1;
      off -= c.length;
    }
    return -1;
  }

  /** RFC 5626 keep-alives between messages. A split CRLF|CRLF ping is waited for. */
  private keepAlive(): KeepAlive {
    if (this.byteAt(0) !== CR) return 'none';
    if (this.buffered < 2) return 'wait';
    if (this.byteAt(1) !== LF) return 'none';
    if (this.buffered < 3) return 'wait';
    if (this.byteAt(2) === CR) {
      if (this.buffered < 4) return 'wait';
      if (this.byteAt(3) === LF) {
        this.skip(4);
        this.events.onPing();
        return 'consumed';
      }
    }
    this.skip(2);
    return 'consumed';
  }

  /** Length of the headers including CRLFCRLF, or -1 when the terminator has not arrived yet. */
  private findHeaderEnd(): number {
    const chunks = this.chunks;
    let ci = this.scanChunk;
    let off = this.scanOff;
    let s = this.match;
    let pos = this.scanned;
    while (ci < chunks.length) {
      const c = chunks[ci]!;
      // Finish a terminator begun in an earlier chunk (at most 3 bytes).
      while (s > 0 && off < c.length) {
        s = step(s, c[off]!);
        off++;
        pos++;
        if (s === 4) return pos;
      }
      if (off < c.length) {
        const i = c.indexOf(CRLFCRLF, off);
        if (i >= 0) return pos + (i + 4 - off);
        // Remember how much of a terminator the chunk's tail matches.
        const from = Math.max(off, c.length - 3);
        pos += from - off;
        for (off = from; off < c.length; off++, pos++) s = step(s, c[off]!);
      }
      ci++;
      off = 0;
    }
    this.scanChunk = ci;
    this.scanOff = 0;
    this.scanned = pos;
    this.match = s;
    return -1;
  }

  /**
   * Makes the first n logical bytes contiguous in chunks[0] (merging chunks once, so take() later slices
   * without copying) and returns chunks[0]; the bytes start at this.head.
   */
  private contiguous(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) return first;
    let have = first.length - this.head;
    let k = 1;
    while (have < n) have += this.chunks[k++]!.length;
    const parts = this.chunks.slice(0, k);
    parts[0] = first.subarray(this.head);
    const merged = Buffer.concat(parts, have);
    this.chunks.splice(0, k, merged);
    this.head = 0;
    return merged;
  }

  private take(n: number): Buffer {
    const buf = this.contiguous(n);
    const out = buf.subarray(this.head, this.head + n);
    this.skip(n);
    return out;
  }

  private skip(n: number): void {
    this.buffered -= n;
    let left = n;
    let drop = 0;
    while (left > 0) {
      const c = this.chunks[drop]!;
      const avail = c.length - this.head;
      if (left < avail) {
        this.head += left;
        break;
      }
      left -= avail;
      this.head = 0;
      drop++;
    }
    if (drop > 0) this.chunks.splice(0, drop);
    // A skip at the message start moves the scan origin with it.
    this.scanChunk = 0;
    this.scanOff = this.head;
  }
}

/** One step of the CRLFCRLF matcher: s = bytes of the terminator matched so far. */
function step(s: number, b: number): number {
  if (b === CR) return s === 2 ? 3 : 1;
  if (b === LF) return s === 1 ? 2 : s === 3 ? 4 : 0;
  return 0;
}

/**
 * Finds Content-Length (or compact `l`) in buf[start, end) without parsing the message: one pass over line
 * starts, names compared case-insensitively, LWS allowed around the colon. Returns the length, CL_ABSENT, or
 * CL_INVALID for a non-numeric value or two headers that disagree (a request-smuggling shape).
 */
export function scanContentLength(buf: Buffer, start: number, end: number): number {
  let found = CL_ABSENT;
  // The start line cannot hold a header.
  let pos = buf.indexOf(LF, start);
  if (pos < 0 || pos >= end) return CL_ABSENT;
  pos++;
  while (pos < end) {
    const b = buf[pos]!;
    if (b === CR || b === LF) break;
    const lower = b | 0x20;
    let nameEnd = -1;
    if (lower === 0x6c /* l */) nameEnd = pos + 1;
    else if (lower === 0x63 /* c */ && matchesLower(buf, pos, end, CONTENT_LENGTH)) nameEnd = pos + CONTENT_LENGTH.length;
    if (nameEnd > 0) {
      let p = nameEnd;
      while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
      if (p < end && buf[p] === COLON) {
        const value = readLength(buf, p + 1, end);
        if (value === CL_INVALID) return CL_INVALID;
        if (found !== CL_ABSENT && found !== value) return CL_INVALID;
        found = value;
      }
    }
    const lf = buf.indexOf(LF, pos);
    if (lf < 0 || lf >= end) break;
    pos = lf + 1;
  }
  return found;
}

function matchesLower(buf: Buffer, pos: number, end: number, name: Buffer): boolean {
  if (pos + name.length > end) return false;
  for (let i = 0; i < name.length; i++) if ((buf[pos + i]! | 0x20) !== name[i]) return false;
  return true;
}

/** Digits after the colon, LWS (including a folded line) allowed around them. */
function readLength(buf: Buffer, p: number, end: number): number {
  for (;;) {
    while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
    // Folding: CRLF followed by whitespace continues the value.
    if (p + 2 < end && buf[p] === CR && buf[p + 1] === LF && (buf[p + 2] === SP || buf[p + 2] === HT)) {
      p += 2;
      continue;
    }
    break;
  }
  let value = 0;
  let digits = 0;
  while (p < end) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) break;
    // Past 9 digits it is beyond any size limit; keep it large without losing integer precision.
    if (digits < 10) value = value * 10 + d;
    digits++;
    p++;
  }
  if (digits === 0) return CL_INVALID;
  while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
  if (p < end && buf[p] !== CR && buf[p] !== LF) return CL_INVALID;
  return value;
}
