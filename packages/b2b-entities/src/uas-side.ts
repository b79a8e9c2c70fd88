/** Replies an entity sends to the requests it received (we are the UAS of the transaction). */
import type { B2bReply } from './api.js';
import type { Entity, ReliableOut } from './entity.js';
import { B2bEngine } from './engine.js';
import { b2bErrors } from './errors.js';
import { B2bState } from './state.js';
import { contentTypeFor, hasHeader, parseExtraHeaders, toBody } from './sip-util.js';

/** Replies that carry our Contact: 1xx/2xx to a dialog-creating or target-refresh request. */
const CONTACT_IN_REPLY = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** RFC 3261 timers for reliable provisional retransmissions (tm's defaults). */
const T1_MS = 500;
const T2_MS = 4000;

export function clearReliable(e: Entity): void {
  const r = e.reliableOut;
  if (r === null) return;
  if (r.timer !== null) clearTimeout(r.timer);
  e.reliableOut = null;
}

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
  const reliable = method === 'INVITE' && code > 100 && code < 200 && headers.some(([n, v]) => n.toLowerCase() === 'require' && /\b100rel\b/i.test(v));
  if (reliable) {
    if (e.reliableOut !== null) throw b2bErrors.state(fn, e.key, 'has a reliable provisional reply still waiting for its PRACK (RFC 3262 3)');
    headers.push(['RSeq', String(++e.rseqOut)]);
  }
  const body = toBody(r.body);
  const opts = { headers, body, contentType: contentTypeFor(body, r.contentType), toTag: e.localTag };
  const ok = engine.tm.replyTransaction(t, code, r.text, opts);
  if (ok < 0) throw b2bErrors.state(fn, e.key, `could not reply ${code} to its ${method} (already answered?)`);
  if (reliable) {
    // Sent again on T1, 2·T1 … until the PRACK; after 64·T1 the INVITE is rejected (RFC 3262 3).
    const rel: ReliableOut = { rseq: e.rseqOut, cseq: t.request.cseq.seq, timer: null };
    e.reliableOut = rel;
    let wait = T1_MS;
    let spent = 0;
    const again = (): void => {
      rel.timer = null;
      if (e.reliableOut !== rel || e.deleted || t.status >= 200) return;
      spent += wait;
      if (spent >= 64 * T1_MS) {
        e.reliableOut = null;
        engine.tm.replyTransaction(t, 500, 'No PRACK', { toTag: e.localTag });
        return;
      }
      engine.tm.replyTransaction(t, code, r.text, opts);
      wait = Math.min(wait * 2, T2_MS);
      rel.timer = setTimeout(again, wait);
      rel.timer.unref();
    };
    rel.timer = setTimeout(again, wait);
    rel.timer.unref();
  }
  if (code >= 200 && method === 'INVITE') clearReliable(e);
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
