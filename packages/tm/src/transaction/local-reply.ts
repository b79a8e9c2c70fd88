/**
 * Replies tm generates itself (100 Trying, t_reply, 408, 487…), RFC 3261 8.2.6: Vias (the top one with
 * received/rport as our transport saw it), From, To with our tag, Call-ID, CSeq; then the extras.
 */
import { buildResponse, parseMessage, reasonPhrase, splitList, type SipMessage } from '@core/sip';

export interface LocalReplyOptions {
  toTag?: string | undefined;
  headers?: readonly [string, string][] | undefined;
  body?: Buffer | undefined;
  contentType?: string | undefined;
}

/**
 * The request a reply is built from: with the received top Via when it differs. Parsed once per
 * transaction, and only for transactions that reply locally.
 */
export function requestForReply(req: SipMessage, topVia: string | undefined): SipMessage {
  if (topVia === undefined) return req;
  const first = req.headerValues('Via')[0] ?? '';
  const rest = splitList(first).slice(1);
  const line = [topVia, ...rest].join(', ');
  return parseMessage(rebuild(req, line));
}

/** The request with its first Via line replaced, other Via lines kept in place. */
function rebuild(req: SipMessage, firstLine: string): Buffer {
  const vias = req.headerValues('Via');
  const e = req.edit().removeHeader('Via');
  // Re-add every Via line in order, above the other headers, as the original had them first.
  for (let i = vias.length - 1; i >= 1; i--) e.addHeader('Via', vias[i] as string, 'top');
  e.addHeader('Via', firstLine, 'top');
  return e.toBuffer();
}

export function buildLocalReply(req: SipMessage, code: number, reason: string | undefined, o: LocalReplyOptions): Buffer {
  return buildResponse(req, code, reason ?? reasonPhrase(code), {
    toTag: code > 100 ? o.toTag : undefined,
    headers: o.headers,
    body: o.body,
    contentType: o.contentType,
  });
}
