/**
 * PUBLISH (RFC 3903): initial (body, no SIP-If-Match), refresh (SIP-If-Match, no body, 4.2), modify
 * (SIP-If-Match and a body, 4.4), remove (SIP-If-Match, Expires 0, 4.5). The ETag of each 2xx is kept on the
 * record. A 412 (the presence server forgot our ETag: it expired or restarted) is answered with a fresh
 * PUBLISH of the stored body, without SIP-If-Match; a 423 with the same request asking for Min-Expires.
 */
import type { UacRequest } from '@mod/tm';
import { PUA_FLAG, type PublInfo, type PuaOutcome } from './api.js';
import type { PuaEngine } from './engine.js';
import { puaErrors } from './errors.js';
import { UaPres, recordKey } from './record.js';
import { extraHeaderPairs, grantedExpires, minExpiresOf, nameAddr, sendWithAuth } from './send.js';

const local = (reason: string): PuaOutcome => ({ code: -1, reason, reply: undefined });

interface Attempt {
  etag: string | undefined;
  body: string | null;
  expires: number;
}

function buildPublish(rec: UaPres, eventName: string, a: Attempt): UacRequest {
  const headers: [string, string][] = [
    ['Event', eventName],
    ['Expires', String(a.expires)],
  ];
  if (a.etag !== undefined && a.etag !== '') headers.push(['SIP-If-Match', a.etag]);
  headers.push(...extraHeaderPairs(rec.extraHeaders));
  const req: UacRequest = { method: 'PUBLISH', ruri: rec.presUri, from: nameAddr(rec.presUri), to: nameAddr(rec.presUri), headers };
  if (rec.outboundProxy !== '') req.dstUri = rec.outboundProxy;
  if (a.body !== null) {
    req.body = Buffer.from(a.body);
    req.contentType = rec.contentType;
  }
  return req;
}

/**
 * Sends the PUBLISH for `rec` with the retries of the module doc and RFC 3903, then updates or removes the
 * record. `rec` is in the table already, unless it is a remove of an ETag we do not hold.
 */
async function exchange(e: PuaEngine, rec: UaPres, first: Attempt): Promise<PuaOutcome> {
  const ev = e.events.get(rec.event);
  const a = { ...first };
  let retried412 = false;
  let retried423 = false;
  rec.busy = true;
  try {
    for (;;) {
      const { outcome } = await sendWithAuth(e.tm, e.auth, buildPublish(rec, ev?.name ?? '', a));
      rec.version++;
      const { code, reply } = outcome;
      if (code === 412 && a.expires > 0 && !retried412 && a.etag !== undefined) {
        // RFC 3903 4.4: the ETag is unknown to the server; start over with the full state.
        const body = a.body ?? rec.body;
        if (body === null) return finish(e, rec, outcome.code, reply?.reason ?? 'Conditional Request Failed', reply);
        e.log.info({ pres_uri: rec.presUri, etag: a.etag }, 'pua: 412 to PUBLISH, sending a fresh one');
        retried412 = true;
        a.etag = undefined;
        a.body = body;
        continue;
      }
      if (code === 423 && !retried423) {
        const min = minExpiresOf(reply);
        if (min !== undefined && min > a.expires) {
          retried423 = true;
          a.expires = min;
          rec.interval = min;
          continue;
        }
      }
      if (code >= 200 && code < 300) {
        if (a.expires === 0) {
          e.remove(rec);
          return { code, reason: reply?.reason ?? '', reply, etag: reply?.header('SIP-ETag'), record: undefined };
        }
        rec.etag = reply?.header('SIP-ETag') ?? rec.etag;
        if (a.body !== null) rec.body = a.body;
        rec.expires = e.now() + grantedExpires(reply, a.expires);
        e.changed(rec);
        e.schedule(rec);
        return finish(e, rec, code, reply?.reason ?? '', reply);
      }
      // A failed publication is dropped: OpenSIPS deletes the record on a negative reply.
      e.log.warn({ pres_uri: rec.presUri, code }, 'pua: PUBLISH failed, record dropped');
      e.remove(rec);
      return finish(e, rec, code, reply?.reason ?? '', reply, false);
    }
  } finally {
    rec.busy = false;
  }
}

function finish(e: PuaEngine, rec: UaPres, code: number, reason: string, reply: PuaOutcome['reply'], kept = true): PuaOutcome {
  e.runCbs(rec, { code, reason });
  return { code, reason, reply, etag: kept ? rec.etag : reply?.header('SIP-ETag'), record: kept ? rec : undefined };
}

function validate(e: PuaEngine, p: PublInfo): void {
  if (typeof p.presUri !== 'string' || !/^sips?:/i.test(p.presUri))
    throw puaErrors.badField('send_publish', 'pres_uri', `must be a sip: URI, not ${JSON.stringify(p.presUri)}`);
  if (e.events.get(p.event) === undefined) throw puaErrors.unknownEvent('send_publish', p.event);
  if (!Number.isInteger(p.expires)) throw puaErrors.badField('send_publish', 'expires', 'must be an integer');
}

/** send_publish. */
export async function sendPublish(e: PuaEngine, p: PublInfo): Promise<PuaOutcome> {
  validate(e, p);
  const ev = e.events.get(p.event)!;
  const key = recordKey('publish', p.presUri, '', p.event, p.sourceFlag, p.id ?? '');
  let rec = e.table.get(key);
  const expires = e.expiresFor(p.expires);
  const flag = p.flag ?? (rec === undefined ? PUA_FLAG.INSERT_TYPE : PUA_FLAG.UPDATE_TYPE);
  let body = p.body ?? null;
  const out = async (o: PuaOutcome): Promise<PuaOutcome> => {
    try {
      p.cbrpl?.(o, p.cbparam);
    } catch (err) {
      e.core.caught('pua publish reply callback', err);
    }
    return o;
  };

  if (rec === undefined) {
    // No record: an initial PUBLISH, or (with an etag) a modify / refresh / remove of a publication we do not hold.
    if (flag === PUA_FLAG.UPDATE_TYPE && p.etag === undefined) return out(local('UPDATE_TYPE without a stored record or an etag'));
    if (expires === 0 && p.etag === undefined) return out(local('nothing to remove: no stored record and no etag'));
    if (body === null && p.etag === undefined) return out(local('an initial PUBLISH needs a body'));
    rec = new UaPres('publish', p.presUri, '', p.event, p.sourceFlag, p.id ?? '');
    rec.etag = p.etag ?? '';
    if (expires > 0) e.add(rec);
  } else if (expires === 0 && p.etag === undefined && rec.etag === '') {
    return out(local('record has no ETag yet'));
  }
  rec.contentType = p.contentType ?? ev.contentType ?? 'text/plain';
  rec.extraHeaders = p.extraHeaders ?? rec.extraHeaders;
  rec.outboundProxy = p.outboundProxy ?? rec.outboundProxy;
  if (expires > 0) {
    rec.interval = expires;
    rec.desiredExpires = 0;
  }
  if (body !== null && ev.processBody !== undefined) {
    const done = ev.processBody(p, rec.version, rec.tupleId === '' ? undefined : rec.tupleId);
    if (done === null) return out(local('process_body refused the body'));
    body = done.body;
    if (done.tuple !== undefined && rec.tupleId === '') rec.tupleId = done.tuple;
  }
  const etag = p.etag ?? (rec.etag === '' ? undefined : rec.etag);
  return out(await exchange(e, rec, { etag, body, expires }));
}

/** The timer's refresh of a stored publication: SIP-If-Match, no body (a 412 republishes the body). */
export function refreshPublish(e: PuaEngine, rec: UaPres): Promise<void> {
  // A request on the wire reschedules the record when it ends.
  if (rec.busy) return Promise.resolve();
  return exchange(e, rec, { etag: rec.etag === '' ? undefined : rec.etag, body: rec.etag === '' ? rec.body : null, expires: rec.interval }).then(() => undefined);
}
