/**
 * SUBSCRIBE (RFC 6665): the initial SUBSCRIBE creates the subscription dialog (RFC 3261 12.1.2: remote tag,
 * route set and remote target from the 2xx), refreshes and the un-SUBSCRIBE (Expires 0) go inside it.
 * The dialog is indexed by Call-ID + our tag before the request leaves, since the first NOTIFY may beat
 * the 2xx (RFC 6665 4.1.2.4).
 */
import { generateCallId, generateTag, type SipMessage } from '@core/sip';
import type { UacRequest } from '@mod/tm';
import { PUA_EVENT, PUA_FLAG, type PuaOutcome, type SubsInfo } from './api.js';
import type { PuaEngine } from './engine.js';
import { puaErrors } from './errors.js';
import { UaPres, recordKey } from './record.js';
import { extraHeaderPairs, grantedExpires, minExpiresOf, nameAddr, sendWithAuth } from './send.js';

const local = (reason: string): PuaOutcome => ({ code: -1, reason, reply: undefined });

function buildSubscribe(e: PuaEngine, rec: UaPres, expires: number): UacRequest {
  const ev = e.events.get(rec.event);
  const inDialog = rec.toTag !== '';
  const headers: [string, string][] = [
    ['Event', ev?.name ?? ''],
    ['Expires', String(expires)],
  ];
  if (rec.event === PUA_EVENT.PWINFO_EVENT) headers.push(['Accept', 'application/watcherinfo+xml']);
  else if (ev?.contentType !== undefined) headers.push(['Accept', ev.contentType]);
  headers.push(...extraHeaderPairs(rec.extraHeaders));
  const req: UacRequest = {
    method: 'SUBSCRIBE',
    ruri: rec.remoteContact !== '' ? rec.remoteContact : rec.presUri,
    from: `${nameAddr(rec.watcherUri)};tag=${rec.fromTag}`,
    to: inDialog ? `${nameAddr(rec.presUri)};tag=${rec.toTag}` : nameAddr(rec.presUri),
    callId: rec.callId,
    cseq: ++rec.cseq,
    contact: nameAddr(rec.contact),
    headers,
  };
  if (rec.routes.length > 0) req.routes = rec.routes;
  else if (rec.outboundProxy !== '') req.dstUri = rec.outboundProxy;
  return req;
}

function defaultContact(e: PuaEngine, watcherUri: string): string {
  const s = e.core.transport.sockets[0];
  const user = /^sips?:([^@;>]+)@/i.exec(watcherUri)?.[1];
  const host = s === undefined ? '127.0.0.1' : s.family === 6 ? `[${s.address}]` : s.address;
  return `sip:${user === undefined ? '' : `${user}@`}${host}:${s?.port ?? 5060}`;
}

/** The 2xx of an initial SUBSCRIBE fixes the dialog (RFC 3261 12.1.2). */
function establish(rec: UaPres, reply: SipMessage): void {
  if (rec.toTag === '') rec.toTag = reply.to.tag ?? '';
  const rr = reply.recordRoutes;
  if (rec.routes.length === 0 && rr.length > 0) rec.routes = rr.map((r) => r.raw).reverse();
  const c = reply.contacts[0];
  if (c !== undefined) rec.remoteContact = c.uri.toString();
}

async function exchange(e: PuaEngine, rec: UaPres, expires: number): Promise<PuaOutcome> {
  let asked = expires;
  let retried423 = false;
  rec.busy = true;
  try {
    for (;;) {
      const { outcome, request } = await sendWithAuth(e.tm, e.auth, buildSubscribe(e, rec, asked));
      rec.cseq = request.cseq ?? rec.cseq;
      const { code, reply } = outcome;
      const fl = { code, reason: reply?.reason ?? '' };
      if (code === 423 && !retried423) {
        const min = minExpiresOf(reply);
        if (min !== undefined && min > asked) {
          retried423 = true;
          asked = rec.interval = min;
          continue;
        }
      }
      if (code >= 200 && code < 300 && reply !== undefined) {
        establish(rec, reply);
        if (asked === 0) {
          e.runCbs(rec, fl);
          e.retire(rec);
          return { code, reason: fl.reason, reply, record: undefined };
        }
        rec.expires = e.now() + grantedExpires(reply, asked);
        e.changed(rec);
        e.schedule(rec);
        e.runCbs(rec, fl);
        return { code, reason: fl.reason, reply, record: rec };
      }
      e.log.warn({ pres_uri: rec.presUri, watcher_uri: rec.watcherUri, code }, 'pua: SUBSCRIBE failed, subscription dropped');
      e.runCbs(rec, fl);
      e.remove(rec);
      return { code, reason: fl.reason, reply, record: undefined };
    }
  } finally {
    rec.busy = false;
  }
}

/** send_subscribe. */
export async function sendSubscribe(e: PuaEngine, s: SubsInfo): Promise<PuaOutcome> {
  if (typeof s.presUri !== 'string' || !/^sips?:/i.test(s.presUri))
    throw puaErrors.badField('send_subscribe', 'pres_uri', `must be a sip: URI, not ${JSON.stringify(s.presUri)}`);
  if (typeof s.watcherUri !== 'string' || !/^sips?:/i.test(s.watcherUri))
    throw puaErrors.badField('send_subscribe', 'watcher_uri', `must be a sip: URI, not ${JSON.stringify(s.watcherUri)}`);
  if (e.events.get(s.event) === undefined) throw puaErrors.unknownEvent('send_subscribe', s.event);
  const key = recordKey('subscribe', s.presUri, s.watcherUri, s.event, s.sourceFlag, s.id ?? '');
  let rec = e.table.get(key);
  const expires = e.expiresFor(s.expires);
  const flag = s.flag ?? (rec === undefined ? PUA_FLAG.INSERT_TYPE : PUA_FLAG.UPDATE_TYPE);
  if (rec === undefined) {
    if (expires === 0) return local('no such subscription');
    if (flag === PUA_FLAG.UPDATE_TYPE) return local('UPDATE_TYPE without a stored subscription');
    rec = new UaPres('subscribe', s.presUri, s.watcherUri, s.event, s.sourceFlag, s.id ?? '');
    rec.callId = generateCallId();
    rec.fromTag = generateTag();
    rec.contact = s.contact ?? defaultContact(e, s.watcherUri);
    rec.remoteContact = s.remoteTarget ?? '';
    rec.outboundProxy = s.outboundProxy ?? '';
    rec.extraHeaders = s.extraHeaders ?? '';
    e.add(rec);
    e.dialogs.set(`${rec.callId}\u0000${rec.fromTag}`, rec);
  } else if (rec.busy && expires > 0) {
    return local('a SUBSCRIBE for this subscription is already pending');
  }
  if (expires > 0) rec.interval = expires;
  return exchange(e, rec, expires);
}

/** The timer's refresh: a re-SUBSCRIBE in the dialog with the same interval. */
export function refreshSubscribe(e: PuaEngine, rec: UaPres): Promise<void> {
  if (rec.busy) return Promise.resolve();
  return exchange(e, rec, rec.interval).then(() => undefined);
}
