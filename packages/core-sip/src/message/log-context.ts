/**
 * What a log line says about a message, for error handlers: read from the raw header text, so it never
 * throws, not even for a message without Call-ID or with a broken CSeq (the typed accessors `callId`,
 * `cseq`, `from`… throw a SipParseError there, and an error handler that throws is how a datagram used to
 * stop the server). Values are cut to MAX_VALUE characters: garbage may carry a 60 KB "Call-ID".
 */
import type { SipMessage } from './message.js';

const MAX_VALUE = 128;

/** Fields spread into a log line (`log.warn({ err, ...logContext(msg) }, …)`); absent ones stay undefined. */
export interface MsgLogContext {
  callId: string | undefined;
  /** Request method, or the CSeq method of a reply. */
  method: string | undefined;
  cseq: string | undefined;
  /** Status code of a reply. */
  status: number | undefined;
}

const EMPTY: Readonly<MsgLogContext> = Object.freeze({ callId: undefined, method: undefined, cseq: undefined, status: undefined });

function cut(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v;
}

/** The Call-ID as written (cut), undefined when there is none or it cannot be read. Never throws. */
export function safeCallId(msg: SipMessage | null | undefined): string | undefined {
  if (msg === null || msg === undefined) return undefined;
  try {
    return cut(msg.header('call-id'));
  } catch {
    return undefined;
  }
}

/** Call-ID, method, CSeq and status of `msg` as far as they can be read. Never throws. */
export function logContext(msg: SipMessage | null | undefined): MsgLogContext {
  if (msg === null || msg === undefined) return EMPTY;
  try {
    const cseq = cut(msg.header('cseq'));
    let method: string | undefined = msg.isRequest ? cut(msg.method) : undefined;
    if (method === undefined && cseq !== undefined) method = cseq.slice(cseq.lastIndexOf(' ') + 1);
    return { callId: safeCallId(msg), method, cseq, status: msg.isRequest ? undefined : msg.status };
  } catch {
    return EMPTY;
  }
}
