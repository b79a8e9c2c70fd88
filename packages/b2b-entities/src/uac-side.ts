/**
 * Requests an entity sends (we are the UAC of the transaction): the initial INVITE of a client entity and
 * every in-dialog request of either type, through tm's UAC; their replies go to the owner.
 */
import type { SipMessage } from '@core/sip';
import type { UacOutcome, UacRequest } from '@mod/tm';
import type { B2bClientInfo, B2bRequest } from './api.js';
import type { B2bEngine } from './engine.js';
import type { Entity, PendingUac } from './entity.js';
import { b2bErrors } from './errors.js';
import { B2B_REPLY, B2bState } from './state.js';
import { contentTypeFor, hasHeader, parseExtraHeaders, toBody } from './sip-util.js';

/** Methods that refresh the remote target and carry our Contact (RFC 3261 12.2, RFC 3311). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** We take reliable provisional replies (RFC 3262): said in every INVITE we start, unless the owner said otherwise. */
function withSupported100rel(h: [string, string][]): [string, string][] {
  if (!hasHeader(h, 'Supported')) h.push(['Supported', '100rel']);
  return h;
}

export function startClientInvite(engine: B2bEngine, e: Entity, info: B2bClientInfo): void {
  const body = toBody(info.body);
  const req: UacRequest = {
    method: 'INVITE',
    ruri: info.ruri,
    from: e.localHeader(),
    to: e.remoteHeader(),
    callId: e.callid,
    cseq: e.nextLocalCseq(),
    contact: `<${e.contact[e.localLeg]}>`,
    headers: withSupported100rel(parseExtraHeaders('client_new', info.extraHeaders)),
    body,
    contentType: contentTypeFor(body, info.contentType),
    socket: e.sendSock,
  };
  if (info.proxy !== undefined && info.proxy !== '') req.dstUri = info.proxy;
  e.lastMethod = 'INVITE';
  e.lastInviteCseq = req.cseq ?? 1;
  send(engine, e, req, { method: 'INVITE', body: info.body, contentType: info.contentType, extraHeaders: info.extraHeaders }, false);
}

/** b2b_send_request; `local` marks a request generated here (PRACK), whose replies stay here. */
export function sendRequest(engine: B2bEngine, fn: string, e: Entity, r: B2bRequest, local = false): void {
  const method = r.method.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw b2bErrors.method(fn, r.method, 'is not a SIP method');
  if (e.state === B2bState.TERMINATED || e.state === B2bState.DESTROYED) throw b2bErrors.state(fn, e.key, 'is terminated');
  const body = toBody(r.body);
  const contentType = contentTypeFor(body, r.contentType);
  const initialPending = e.state === B2bState.NEW || e.state === B2bState.NEW_AUTH || e.state === B2bState.EARLY;
  switch (method) {
    case 'ACK': {
      const ap = e.ackPending;
      if (ap === null) throw b2bErrors.state(fn, e.key, 'has no 2xx waiting for an ACK');
      e.ackPending = null;
      e.state = B2bState.ESTABLISHED;
      sendAck(engine, e, ap.handle, ap.ok, body, contentType);
      engine.changed(e);
      return;
    }
    case 'CANCEL': {
      const p = e.uac.get('INVITE');
      if (p === undefined) throw b2bErrors.state(fn, e.key, 'has no INVITE of ours to cancel');
      p.handle.cancel();
      return;
    }
    case 'BYE':
      if (!e.isServer && initialPending) {
        // Before a final reply the call is ended by CANCEL (RFC 3261 15).
        e.uac.get('INVITE')?.handle.cancel();
        e.state = B2bState.TERMINATED;
        engine.changed(e);
        return;
      }
      if (e.isServer && initialPending) throw b2bErrors.state(fn, e.key, 'has not answered its INVITE yet: send a final reply instead of BYE');
      break;
    case 'INVITE':
      if (e.uac.has('INVITE')) throw b2bErrors.state(fn, e.key, 'already has an INVITE of ours in progress');
      if (e.uas.has('INVITE')) throw b2bErrors.state(fn, e.key, 'is answering an INVITE from the other side (RFC 3261 14.2)');
      if (e.state !== B2bState.ESTABLISHED && e.state !== B2bState.CONFIRMED) throw b2bErrors.state(fn, e.key, `cannot send a re-INVITE in state ${e.state}`);
      break;
    default:
      if (e.uac.has(method)) throw b2bErrors.state(fn, e.key, `already has a ${method} of ours in progress`);
      if (e.remoteTag === '') throw b2bErrors.state(fn, e.key, 'has no dialog yet (no To-tag)');
  }
  const headers = parseExtraHeaders(fn, r.extraHeaders);
  if (method === 'PRACK' && !hasHeader(headers, 'RAck')) {
    if (e.rackPending === '') throw b2bErrors.state(fn, e.key, 'has no reliable provisional reply to PRACK');
    headers.push(['RAck', e.rackPending]);
  }
  if (method === 'PRACK') e.rackPending = '';
  const req: UacRequest = {
    method,
    ruri: e.remoteTarget,
    from: e.localHeader(),
    to: e.remoteHeader(),
    callId: e.callid,
    cseq: e.nextLocalCseq(),
    routes: e.routeSet,
    headers,
    body,
    contentType,
    socket: e.sendSock,
  };
  if (TARGET_REFRESH.has(method)) req.contact = `<${e.contact[e.localLeg]}>`;
  e.lastMethod = method;
  if (method === 'INVITE') {
    e.lastInviteCseq = req.cseq ?? 0;
    e.state = B2bState.MODIFIED;
  } else if (method === 'BYE') e.state = B2bState.TERMINATED;
  send(engine, e, req, r, local);
  engine.changed(e);
}

function send(engine: B2bEngine, e: Entity, req: UacRequest, asked: B2bRequest, local: boolean, authed = false): void {
  const pending: { p: PendingUac | null } = { p: null };
  const handle = engine.tm.request(req, {
    onProvisional: (reply) => {
      if (pending.p !== null) onProvisional(engine, e, pending.p, reply);
    },
  });
  const p: PendingUac = { method: req.method, cseq: req.cseq ?? 1, handle, req: asked, local, sent: req, authed };
  pending.p = p;
  e.uac.set(req.method, p);
  void handle.done.then((o) => onFinal(engine, e, p, o));
}

function onProvisional(engine: B2bEngine, e: Entity, p: PendingUac, reply: SipMessage): void {
  if (e.deleted || reply.status === 100 || p.local) return;
  const initial = p.method === 'INVITE' && !e.isServer && !e.answered;
  if (initial && (e.state === B2bState.NEW || e.state === B2bState.NEW_AUTH || e.state === B2bState.EARLY)) {
    const tag = reply.to.tag;
    if (tag !== undefined && e.state !== B2bState.EARLY) {
      e.toTag = tag;
      e.state = B2bState.EARLY;
    }
  }
  if (p.method === 'INVITE' && reply.require.includes('100rel')) {
    const rseq = Number(reply.header('RSeq'));
    if (!Number.isInteger(rseq) || rseq <= 0) {
      engine.log.warn({ key: e.key }, 'b2b: reliable provisional reply without a valid RSeq: not acknowledged');
    } else if (rseq <= e.rseqIn) {
      return; // a retransmission, already PRACKed (RFC 3262 4)
    } else {
      e.rseqIn = rseq;
      if (initial) {
        // The early dialog's target and route set, for the PRACK (RFC 3262 4, RFC 3261 12.1.2).
        const c = reply.contacts[0]?.uri.toString();
        if (c !== undefined) e.remoteTarget = c;
        e.routeSet = reply.recordRoutes.map((r) => r.raw).reverse();
      }
      e.rackPending = `${rseq} ${p.cseq} INVITE`;
      if (!engine.cfg.passthruPrack) sendRequest(engine, 'PRACK', e, { method: 'PRACK' }, true);
    }
  }
  e.lastReplyCode = reply.status;
  engine.deliver(e, replyInfo(e, p.method, reply.status, reply.reason, reply), engine.cfg.scriptReplyRoute ? engine.replyContext(e, reply) : undefined);
}

function onFinal(engine: B2bEngine, e: Entity, p: PendingUac, o: UacOutcome): void {
  if (e.uac.get(p.method) === p) e.uac.delete(p.method);
  if (e.deleted || p.local) return;
  const { code, reply } = o;
  if ((code === 401 || code === 407) && reply !== undefined && !p.authed && retryWithCredentials(engine, e, p, reply)) return;
  if (code === 491 && (p.method === 'INVITE' || p.method === 'UPDATE') && (e.answered || p.method === 'UPDATE')) {
    if (p.method === 'INVITE' && e.state === B2bState.MODIFIED) e.state = B2bState.ESTABLISHED;
    return retryAfterGlare(engine, e, p);
  }
  e.lastReplyCode = code;
  if (p.method === 'INVITE') {
    const initial = !e.isServer && !e.answered;
    if (code >= 200 && code < 300 && reply !== undefined) {
      const c = reply.contacts[0]?.uri.toString();
      if (c !== undefined) {
        e.remoteTarget = c;
        e.contact[e.remoteLeg] = c;
      }
      if (initial) {
        e.answered = true;
        e.toTag = reply.to.tag ?? e.toTag;
        // A UAC takes the Record-Route set of the 2xx in reverse (RFC 3261 12.1.2).
        e.routeSet = reply.recordRoutes.map((r) => r.raw).reverse();
        try {
          e.addDlgInfo?.({ callid: e.callid, fromTag: e.fromTag, toTag: e.toTag }, e.key, e.param);
        } catch (err) {
          engine.log.error({ err, key: e.key }, 'b2b add_dlginfo callback failed');
        }
      }
      if (e.state === B2bState.TERMINATED) {
        // Answered while we were ending it (BYE before the 2xx, RFC 3261 15): ACK, then BYE.
        sendAck(engine, e, p.handle, reply, undefined, undefined);
        e.state = B2bState.ESTABLISHED;
        sendRequest(engine, 'b2b', e, { method: 'BYE' });
      } else if (e.autoAck) {
        e.state = B2bState.ESTABLISHED;
        sendAck(engine, e, p.handle, reply, undefined, undefined);
      } else {
        e.state = B2bState.CONFIRMED;
        e.ackPending = { handle: p.handle, ok: reply };
      }
    } else if (code >= 300) {
      if (initial) e.state = B2bState.TERMINATED;
      else if (e.state === B2bState.MODIFIED) e.state = B2bState.ESTABLISHED;
    }
  } else if (p.method === 'BYE') {
    e.state = B2bState.TERMINATED;
  }
  engine.changed(e);
  const reason = reply?.reason ?? (code === 408 ? 'Request Timeout' : 'Service Unavailable');
  engine.deliver(e, replyInfo(e, p.method, code, reason, reply), reply !== undefined && engine.cfg.scriptReplyRoute ? engine.replyContext(e, reply) : undefined);
}

function sendAck(engine: B2bEngine, e: Entity, handle: PendingUac['handle'], ok: SipMessage, body: Buffer | undefined, contentType: string | undefined): void {
  engine.tm.sendAck(handle, ok, { routes: e.routeSet, body, contentType }).catch((err: unknown) => {
    engine.log.warn({ err, key: e.key }, 'b2b: ACK could not be sent');
  });
}

function replyInfo(e: Entity, method: string, code: number, reason: string, msg: SipMessage | undefined) {
  return { type: B2B_REPLY, entityType: e.type, key: e.key, msg, method, code, reason, param: e.param } as const;
}

/**
 * 491 to our re-INVITE/UPDATE (RFC 3261 14.1): sent again after a random time — 2.1–4 s when the Call-ID
 * is ours (client entity), 0–2 s otherwise, in 10 ms steps — and later still while the other side's
 * INVITE is being answered. The owner sees the reply to the retry, not the 491.
 */
function retryAfterGlare(engine: B2bEngine, e: Entity, p: PendingUac): void {
  const ms = e.isServer ? 10 * Math.floor(Math.random() * 201) : 2100 + 10 * Math.floor(Math.random() * 191);
  engine.log.debug({ key: e.key, method: p.method, ms }, 'b2b: 491, request sent again later');
  if (e.retryTimer !== null) clearTimeout(e.retryTimer);
  e.retryTimer = setTimeout(() => {
    e.retryTimer = null;
    if (e.deleted || e.state === B2bState.TERMINATED) return;
    if (e.uas.has('INVITE') || e.uac.has(p.method)) return retryAfterGlare(engine, e, p);
    try {
      sendRequest(engine, 'glare retry', e, p.req);
    } catch (err) {
      engine.log.warn({ err, key: e.key }, 'b2b: request could not be sent again after 491');
    }
  }, ms);
  e.retryTimer.unref();
}

/**
 * A 401/407 to a request we sent, answered once with uac_auth's credentials (when uac_auth is loaded and
 * has some for the realm): the same request with CSeq + 1 and the Authorization / Proxy-Authorization
 * header; the owner sees the reply to that one, not the challenge. A second challenge goes to the owner.
 */
function retryWithCredentials(engine: B2bEngine, e: Entity, p: PendingUac, challenge: SipMessage): boolean {
  const auth = engine.uacAuth;
  if (auth === undefined) return false;
  const r = auth.authenticate(p.sent, challenge);
  if (!r.ok) {
    engine.log.info({ key: e.key, method: p.method, reason: r.reason, realm: r.realm }, 'b2b: challenge not answered');
    return false;
  }
  const cseq = r.request.cseq ?? e.nextLocalCseq();
  e.cseq[e.localLeg] = Math.max(e.cseq[e.localLeg] ?? 0, cseq);
  if (p.method === 'INVITE') {
    e.lastInviteCseq = cseq;
    if (!e.answered) e.state = B2bState.NEW_AUTH;
  }
  send(engine, e, { ...r.request, cseq }, p.req, p.local, true);
  engine.changed(e);
  return true;
}
