/**
 * The core requestIn hook: a request inside one of our entities (its To-tag is a server entity's key, or
 * its Call-ID a client entity's), a CANCEL or a retransmission of a server entity's initial INVITE, never
 * reaches the main route: it is answered here when it must be (481, 491, 500, CANCEL) and goes to the
 * entity's owner.
 */
import type { ReceiveInfo, RouteContext, SipMessage } from '@core/sip';
import type { B2bNotifyInfo } from './api.js';
import { B2bEngine } from './engine.js';
import type { Entity } from './entity.js';
import { clearReliable } from './uas-side.js';
import { B2B_CLIENT, B2B_REQUEST, B2B_SERVER, B2bState } from './state.js';

export function onRequestIn(engine: B2bEngine, msg: SipMessage, rinfo: ReceiveInfo): boolean {
  let toTag: string | undefined;
  let callId: string;
  try {
    toTag = msg.to.tag;
    callId = msg.callId;
  } catch {
    return false; // broken headers: the script decides
  }
  const keys = engine.keys;
  if (toTag === undefined) return initialOrCancel(engine, msg, rinfo, callId);
  let e: Entity | undefined;
  if (keys.isOurs(callId)) {
    e = engine.get(B2B_CLIENT, callId);
    if (e !== undefined && e.fromTag !== toTag) e = undefined;
  } else if (keys.isOurs(toTag)) {
    e = engine.get(B2B_SERVER, toTag);
    if (e !== undefined && e.callid !== callId) e = undefined;
  } else return false;
  const ctx = engine.core.createContext('request', msg, rinfo);
  if (e === undefined || e.deleted) {
    // Ours by its key, but no such entity (deleted, or another instance's): 481 (RFC 3261 12.2.2).
    // An ACK may still be the hop-by-hop one of the negative reply that ended the entity: tm absorbs it.
    if (msg.method === 'ACK') ctx.t_check_trans();
    else engine.tm.reply(ctx, 481, 'Call/Transaction Does Not Exist');
    return true;
  }
  if (msg.method === 'ACK') onAck(engine, e, ctx);
  else if (msg.method === 'CANCEL') onCancel(engine, e, ctx);
  else onRequest(engine, e, ctx);
  return true;
}

/** A retransmitted initial INVITE or a CANCEL of a server entity still being set up; else not ours. */
function initialOrCancel(engine: B2bEngine, msg: SipMessage, rinfo: ReceiveInfo, callId: string): boolean {
  if (msg.method !== 'INVITE' && msg.method !== 'CANCEL') return false;
  let e: Entity | undefined;
  try {
    e = engine.early.get(B2bEngine.earlyKey(callId, msg.from.tag ?? ''));
  } catch {
    return false;
  }
  if (e === undefined) return false;
  const ctx = engine.core.createContext('request', msg, rinfo);
  if (msg.method === 'CANCEL') {
    onCancel(engine, e, ctx);
    return true;
  }
  if (msg.cseq.seq !== e.lastInviteCseq) return false; // a new INVITE (e.g. with credentials): the script's
  engine.tm.newTransaction(ctx); // a retransmission: tm sends our last reply again
  return true;
}

function requestInfo(e: Entity, msg: SipMessage): B2bNotifyInfo {
  return { type: B2B_REQUEST, entityType: e.type, key: e.key, msg, method: msg.method, code: 0, reason: '', param: e.param };
}

/** ACK: hop by hop for our negative reply (tm absorbs it), else the ACK of our 2xx, for the owner. */
function onAck(engine: B2bEngine, e: Entity, ctx: RouteContext): void {
  ctx.t_check_trans(); // absorbs the hop-by-hop one, fires TMCB_E2EACK_IN for the other
  const seq = ctx.msg.cseq.seq;
  if (seq !== e.lastInviteCseq || e.inviteReplied < 200 || e.inviteReplied >= 300) return;
  if (e.state === B2bState.CONFIRMED) {
    e.state = B2bState.ESTABLISHED;
    engine.changed(e);
  }
  engine.deliver(e, requestInfo(e, ctx.msg), ctx);
}

/** CANCEL (RFC 3261 9.2): 200 to it, 487 to the INVITE it cancels; the owner is told. */
function onCancel(engine: B2bEngine, e: Entity, ctx: RouteContext): void {
  if (!engine.tm.newTransaction(ctx)) return;
  const inv = e.uas.get('INVITE');
  if (inv === undefined || inv.status >= 200) {
    engine.tm.reply(ctx, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  engine.tm.reply(ctx, 200, 'OK');
  engine.tm.replyTransaction(inv, 487, 'Request Terminated', { toTag: e.localTag });
  e.uas.delete('INVITE');
  e.inviteReplied = 487;
  e.lastReplyCode = 487;
  e.lastMethod = 'CANCEL';
  if (!e.answered) {
    e.state = B2bState.TERMINATED;
    const ek = B2bEngine.earlyKey(e.callid, e.fromTag);
    if (engine.early.get(ek) === e) engine.early.delete(ek);
  } else if (e.state === B2bState.MODIFIED) e.state = B2bState.ESTABLISHED;
  engine.changed(e);
  engine.deliver(e, requestInfo(e, ctx.msg), ctx);
}

function onRequest(engine: B2bEngine, e: Entity, ctx: RouteContext): void {
  const tm = engine.tm;
  if (!tm.newTransaction(ctx)) return; // a retransmission, answered by tm
  const msg = ctx.msg;
  const m = msg.method;
  const seq = msg.cseq.seq;
  const last = e.cseq[e.remoteLeg] ?? 0;
  if (e.state === B2bState.TERMINATED && m !== 'BYE') {
    tm.reply(ctx, 481, 'Call/Transaction Does Not Exist');
    return;
  }
  // CSeq must grow within a dialog (RFC 3261 12.2.2); the first request from a client entity's remote sets it.
  if (last !== 0 && seq <= last) {
    tm.reply(ctx, 500, 'CSeq Out of Order');
    return;
  }
  if (m === 'INVITE' || m === 'UPDATE') {
    // Glare: an offer of ours is pending (RFC 3261 14.2, RFC 3311 5.2).
    if (e.uac.has('INVITE') || (m === 'UPDATE' && e.uac.has('UPDATE'))) {
      e.cseq[e.remoteLeg] = seq;
      tm.reply(ctx, 491, 'Request Pending');
      return;
    }
  }
  if (e.uas.has(m)) {
    // One at a time (RFC 3261 14.2): a second INVITE while one is pending gets 500 with Retry-After.
    e.cseq[e.remoteLeg] = seq;
    tm.reply(ctx, 500, 'Server Internal Error', { headers: [['Retry-After', String(Math.floor(Math.random() * 10))]] });
    return;
  }
  e.cseq[e.remoteLeg] = seq;
  const t = tm.getTransaction(ctx);
  if (t === undefined) return;
  if (m === 'PRACK') {
    // RFC 3262 3: a PRACK matches our reliable provisional reply by RAck, else 481.
    const rack = (msg.header('RAck') ?? '').trim().split(/\s+/);
    const rel = e.reliableOut;
    if (rel === null || Number(rack[0]) !== rel.rseq || Number(rack[1]) !== rel.cseq || (rack[2] ?? '').toUpperCase() !== 'INVITE') {
      tm.reply(ctx, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    clearReliable(e);
    if (!engine.cfg.passthruPrack) {
      tm.reply(ctx, 200, 'OK'); // generated here (passthru_prack=0): the owner does not see it
      return;
    }
  }
  if (m === 'INVITE' || m === 'UPDATE') {
    const c = msg.contacts[0]?.uri.toString();
    if (c !== undefined) {
      e.remoteTarget = c;
      e.contact[e.remoteLeg] = c;
    }
  }
  if (m === 'INVITE') {
    e.lastInviteCseq = seq;
    e.inviteReplied = 0;
    if (e.state === B2bState.ESTABLISHED || e.state === B2bState.CONFIRMED) e.state = B2bState.MODIFIED;
  }
  if (m === 'BYE') e.state = B2bState.TERMINATED;
  e.uas.set(m, t);
  e.lastMethod = m;
  engine.changed(e);
  engine.deliver(e, requestInfo(e, msg), ctx);
}
