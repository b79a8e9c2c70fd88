/**
 * Replies tm generates itself (100 Trying, t_reply, 408, 487…), RFC 3261 8.2.6: Vias (the top one with
 * received/rport as our transport saw it), From, To with our tag, Call-ID, CSeq; then the extras.
 */
import { reasonPhrase, splitList, type SipMessage } from '@core/sip';

export interface LocalReplyOptions {
  toTag?: string | undefined;
  headers?: readonly [string, string][] | undefined;
  body?: Buffer | undefined;
  contentType?: string | undefined;
}

/**
 * A reply of our own to `req`, RFC 3261 8.2.6: every Via in order (the top one replaced by `topVia`, the
 * received/rport value, when the transport set one), From, To (with `toTag` added when it has none, never on
 * a 100), Call-ID, CSeq; then the extra headers, Content-Type and Content-Length. Written straight from the
 * request's header values: the request is not rebuilt nor parsed again.
 */
export function buildLocalReply(req: SipMessage, topVia: string | undefined, code: number, reason: string | undefined, o: LocalReplyOptions): Buffer {
  let s = `SIP/2.0 ${code} ${reason ?? reasonPhrase(code)}\r\n`;
  const vias = req.headerValues('Via');
  for (let i = 0; i < vias.length; i++) {
    let v = vias[i] as string;
    if (i === 0 && topVia !== undefined) v = v.indexOf(',') < 0 ? topVia : [topVia, ...splitList(v).slice(1)].join(', ');
    s += `Via: ${v}\r\n`;
  }
  const from = req.header('From');
  if (from !== undefined) s += `From: ${from}\r\n`;
  const to = req.header('To');
  if (to !== undefined) {
    const tag = code > 100 ? o.toTag : undefined;
    s += tag !== undefined && req.to.tag === undefined ? `To: ${to};tag=${tag}\r\n` : `To: ${to}\r\n`;
  }
  const callId = req.header('Call-ID');
  if (callId !== undefined) s += `Call-ID: ${callId}\r\n`;
  const cseq = req.header('CSeq');
  if (cseq !== undefined) s += `CSeq: ${cseq}\r\n`;
  if (o.headers !== undefined) for (const [n, v] of o.headers) s += `${n}: ${v}\r\n`;
  const body = o.body;
  const len = body?.length ?? 0;
  if (len > 0 && o.contentType !== undefined) s += `Content-Type: ${o.contentType}\r\n`;
  s += `Content-Length: ${len}\r\n\r\n`;
  if (body === undefined || len === 0) return Buffer.from(s, 'utf8');
  const head = Buffer.from(s, 'utf8');
  return Buffer.concat([head, body], head.length + len);
}
