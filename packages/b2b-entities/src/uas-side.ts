/** Replies an entity sends to the requests it received (we are the UAS of the transaction). */
import type { B2bReply } from './api.js';
import type { Entity } from './entity.js';
import { B2bEngine } from './engine.js';
import { b2bErrors } from './errors.js';
import { B2bState } from './state.js';
import { contentTypeFor, hasHeader, parseExtraHeaders, toBody } from './sip-util.js';

/** Replies that carry our Contact: 1xx/2xx to a dialog-creating or target-refresh request. */
const CONTACT_IN_REPLY = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** b2b_send_reply. */
export function sendReply(engine: B2bEngine, fn: string, e: Entity, r: B2bReply): void {
  const code = r.code;
  if (!Number.isInteger(code) || code < 100 || code > 699) throw b2bErrors.code(fn, code);
  let method = r.method?.toUpperCase();
  if (method === undefined) {
    if (e.uas.size !== 1) throw b2bErrors.state(fn, e.key, `has ${e.uas.size} requests waiting for a reply: name the method`);
    method = [...e.uas.keys()][0] as string;
  }
  const t = e.uas.get(method);
  if (t === undefined) throw b2bErrors.state(fn, e.key, `has no ${method} waiting for a reply`);
  const headers = parseExtraHeaders(fn, r.extraHeaders);
  const initialInvite = method === 'INVITE' && e.isServer && !e.answered;
  if (CONTACT_IN_REPLY.has(method) && code > 100 && code < 300 && !hasHeader(headers, 'Contact')) headers.push(['Contact', `<${e.contact[e.localLeg]}>`]);
  // A UAS copies the Record-Route set into the replies that set up the dialog (RFC 3261 12.1.1).
  if (initialInvite && code > 100 && code < 300) for (const rr of t.request.headerValues('Record-Route')) headers.push(['Record-Route', rr]);
  const body = toBody(r.body);
  const ok = engine.tm.replyTransaction(t, code, r.text, { headers, body, contentType: contentTypeFor(body, r.contentType), toTag: e.localTag });
  if (ok < 0) throw b2bErrors.state(fn, e.key, `could not reply ${code} to its ${method} (already answered?)`);
  e.lastReplyCode = code;
  if (code >= 200) e.uas.delete(method);
  if (method === 'INVITE') {
    if (code >= 200) e.inviteReplied = code;
    if (initialInvite) {
      if (code > 100 && code < 200) e.state = B2bState.EARLY;
      else if (code >= 200 && code < 300) {
        e.answered = true;
        e.state = B2bState.CONFIRMED;
      } else if (code >= 300) e.state = B2bState.TERMINATED;
      if (code >= 200) {
        const ek = B2bEngine.earlyKey(e.callid, e.fromTag);
        if (engine.early.get(ek) === e) engine.early.delete(ek);
      }
    } else if (code >= 200 && code < 300) e.state = B2bState.CONFIRMED;
    else if (code >= 300 && e.state === B2bState.MODIFIED) e.state = B2bState.ESTABLISHED;
  }
  engine.changed(e);
}
