import { randomFillSync } from 'node:crypto';
import type { SipMessage } from './message.js';

// A hand-laid table: one phrase per line would be 70 lines.
// prettier-ignore
const PHRASES: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  199: 'Early Dialog Terminated', 200: 'OK', 202: 'Accepted', 204: 'No Notification', 300: 'Multiple Choices',
  301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 412: 'Conditional Request Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 417: 'Unknown Resource-Priority',
  420: 'Bad Extension', 421: 'Extension Required', 422: 'Session Interval Too Small', 423: 'Interval Too Brief',
  428: 'Use Identity Header', 429: 'Provide Referrer Identity', 433: 'Anonymity Disallowed', 436: 'Bad Identity-Info',
  437: 'Unsupported Certificate', 438: 'Invalid Identity Header', 439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded', 469: 'Bad Info Package', 470: 'Consent Needed', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete',
  485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event',
  491: 'Request Pending', 493: 'Undecipherable', 494: 'Security Agreement Required', 500: 'Server Internal Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Server Time-out',
  505: 'Version Not Supported', 513: 'Message Too Large', 555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure', 600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable', 607: 'Unwanted', 608: 'Rejected',
};

/** Default reason phrase of a status code (RFC 3261 21 and later registrations); class default otherwise. */
export function reasonPhrase(code: number): string {
  const p = PHRASES[code];
  if (p !== undefined) return p;
  const cls = Math.floor(code / 100);
  return cls === 1
    ? 'Trying'
    : cls === 2
      ? 'OK'
      : cls === 3
        ? 'Redirection'
        : cls === 4
          ? 'Client Error'
          : cls === 5
            ? 'Server Error'
            : cls === 6
              ? 'Global Failure'
              : 'Unknown';
}

export interface ResponseOptions {
  /** Added to To when the request's To has no tag (RFC 3261 8.2.6.2; never on 100). */
  toTag?: string;
  headers?: readonly [string, string][];
  body?: Buffer;
  contentType?: string;
}

/** True when a To value carries a tag parameter (outside quotes and `<>`), without a full parse. */
function hasTag(to: string): boolean {
  let angle = false;
  for (let i = 0; i < to.length; i++) {
    const c = to.charCodeAt(i);
    if (c === 34) {
      for (i++; i < to.length && to.charCodeAt(i) !== 34; i++) if (to.charCodeAt(i) === 92) i++;
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 59 && !angle) {
      let j = i + 1;
      while (j < to.length && (to.charCodeAt(j) === 32 || to.charCodeAt(j) === 9)) j++;
      if (to.slice(j, j + 3).toLowerCase() === 'tag') {
        let k = j + 3;
        while (k < to.length && (to.charCodeAt(k) === 32 || to.charCodeAt(k) === 9)) k++;
        if (k >= to.length || to.charCodeAt(k) === 61 || to.charCodeAt(k) === 59) return true;
      }
    }
  }
  return false;
}

/**
 * Builds a response to `req` per RFC 3261 8.2.6: every Via in order, From, To (with `toTag` added when the
 * request had none), Call-ID, CSeq copied from the request; then `headers`, Content-Type and Content-Length.
 * Works on a partial message from a SipParseError (missing headers are simply not copied), so a 400 can be
 * built for a request that failed validation.
 */
export function buildResponse(
  req: SipMessage,
  status: number,
  reason?: string,
  opts?: { toTag?: string; headers?: readonly [string, string][]; body?: Buffer; contentType?: string },
): Buffer {
  let s = `SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}\r\n`;
  for (const v of req.headerValues('Via')) s += `Via: ${v}\r\n`;
  const from = req.header('From');
  if (from !== undefined) s += `From: ${from}\r\n`;
  const to = req.header('To');
  if (to !== undefined) {
    const tag = opts?.toTag;
    s += tag !== undefined && status > 100 && !hasTag(to) ? `To: ${to};tag=${tag}\r\n` : `To: ${to}\r\n`;
  }
  const callId = req.header('Call-ID');
  if (callId !== undefined) s += `Call-ID: ${callId}\r\n`;
  const cseq = req.header('CSeq');
  if (cseq !== undefined) s += `CSeq: ${cseq}\r\n`;
  return finish(s, opts?.headers, opts?.body, opts?.contentType);
}

function finish(s: string, headers: readonly [string, string][] | undefined, body: Buffer | undefined, contentType: string | undefined): Buffer {
  if (headers !== undefined) for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
  const len = body?.length ?? 0;
  if (len > 0 && contentType !== undefined) s += `Content-Type: ${contentType}\r\n`;
  s += `Content-Length: ${len}\r\n\r\n`;
  if (body === undefined || len === 0) return Buffer.from(s, 'utf8');
  const head = Buffer.from(s, 'utf8');
  return Buffer.concat([head, body], head.length + len);
}

export interface RequestOptions {
  method: string;
  ruri: string;
  /** Via values, top first. */
  via: readonly string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
  /** Default 70 (RFC 3261 8.1.1.6). */
  maxForwards?: number;
  contact?: string;
  routes?: readonly string[];
  headers?: readonly [string, string][];
  body?: Buffer;
  contentType?: string;
}

/** Builds a request (RFC 3261 8.1.1): start line, Via, Max-Forwards, Route, From, To, Call-ID, CSeq, Contact, extras. */
export function buildRequest(opts: RequestOptions): Buffer {
  let s = `${opts.method} ${opts.ruri} SIP/2.0\r\n`;
  for (const v of opts.via) s += `Via: ${v}\r\n`;
  s += `Max-Forwards: ${opts.maxForwards ?? 70}\r\n`;
  if (opts.routes !== undefined) for (const r of opts.routes) s += `Route: ${r}\r\n`;
  s += `From: ${opts.from}\r\nTo: ${opts.to}\r\nCall-ID: ${opts.callId}\r\nCSeq: ${opts.cseq} ${opts.method}\r\n`;
  if (opts.contact !== undefined) s += `Contact: ${opts.contact}\r\n`;
  return finish(s, opts.headers, opts.body, opts.contentType);
}

// Random bytes are drawn in blocks so that tags and branches cost a slice and a hex encode, not a syscall.
const POOL = Buffer.alloc(4096);
let poolPos = POOL.length;

function randomHex(bytes: number): string {
  if (poolPos + bytes > POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
  const s = POOL.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** A From/To tag: 64 random bits in hex. */
export function generateTag(): string {
  return randomHex(8);
}

/** An RFC 3261 branch: the magic cookie plus 96 random bits. */
export function generateBranch(): string {
  return 'z9hG4bK' + randomHex(12);
}

/** A Call-ID: 128 random bits in hex, `@host` when a host is given. */
export function generateCallId(host?: string): string {
  const id = randomHex(16);
  return host !== undefined && host !== '' ? `${id}@${host}` : id;
}
