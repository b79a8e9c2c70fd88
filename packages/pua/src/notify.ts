/**
 * NOTIFYs of pua's subscription dialogs (RFC 6665 4.1.3). With consume_notify=1 (tsips; the default 0 is OpenSIPS's: NOTIFYs go to the script) pua takes them
 * before the request route: 200 OK, the Contact as new remote target (a NOTIFY is a target refresh
 * request, RFC 6665 4.1.3 / RFC 3261 12.2), Subscription-State applied (`terminated` ends the record, an
 * `expires` param shortens it), the callbacks of the record's source flag called with the NOTIFY.
 */
import type { ReceiveInfo, SipMessage } from '@core/sip';
import type { PuaEngine } from './engine.js';
import type { UaPres } from './record.js';

/** The subscription a NOTIFY belongs to: Call-ID and its To tag (our From tag). */
export function notifyRecord(e: PuaEngine, msg: SipMessage): UaPres | undefined {
  if (!msg.isRequest || msg.method !== 'NOTIFY') return undefined;
  const tag = msg.to.tag;
  if (tag === undefined) return undefined;
  return e.dialogs.get(`${msg.callId}\u0000${tag}`);
}

/** pua_update_contact: the NOTIFY's Contact becomes the remote target of its subscription. */
export function updateContact(e: PuaEngine, rec: UaPres, msg: SipMessage): boolean {
  const c = msg.contacts[0];
  if (c === undefined) return false;
  const uri = c.uri.toString();
  if (uri !== rec.remoteContact) {
    rec.remoteContact = uri;
    e.changed(rec);
  }
  return true;
}

/** Subscription-State: `active;expires=600` → { state: 'active', expires: 600 }. */
export function parseSubState(v: string | undefined): { state: string; expires: number | undefined } {
  if (v === undefined) return { state: '', expires: undefined };
  const [state = '', ...params] = v.split(';').map((s) => s.trim());
  let expires: number | undefined;
  for (const p of params) {
    const m = /^expires\s*=\s*(\d+)$/i.exec(p);
    if (m !== null) expires = Number(m[1]);
  }
  return { state: state.toLowerCase(), expires };
}

/** The onRequestIn hook: true when the NOTIFY was one of ours and was answered. */
export function consumeNotify(e: PuaEngine, msg: SipMessage, rinfo: ReceiveInfo): boolean {
  const rec = notifyRecord(e, msg);
  if (rec === undefined) return false;
  const ctx = e.core.createContext('request', msg, rinfo);
  ctx.sl_send_reply(200, 'OK');
  if (rec.toTag === '') rec.toTag = msg.from.tag ?? '';
  updateContact(e, rec, msg);
  const sub = parseSubState(msg.header('Subscription-State'));
  rec.subState = sub.state;
  if (sub.state === 'terminated') {
    e.runCbs(rec, undefined, msg);
    e.remove(rec);
    return true;
  }
  // A retired subscription (un-SUBSCRIBE answered) only waits for its terminated NOTIFY.
  if (e.table.get(rec.key) !== rec) return true;
  if (sub.expires !== undefined && !rec.busy) {
    const at = e.now() + sub.expires;
    if (at < rec.expires) {
      rec.expires = at;
      e.changed(rec);
      e.schedule(rec);
    }
  }
  e.runCbs(rec, undefined, msg);
  return true;
}
