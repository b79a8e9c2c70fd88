/**
 * The server side of a transaction, RFC 3261 17.2 (with RFC 6026 "accepted"): what sending a reply does to
 * its state, request retransmissions, the ACK of a negative INVITE reply, timers G and H.
 */
import type { SipMessage } from '@core/sip';
import type { Tm } from '../tm.js';
import type { Cell } from './cell.js';
import { buildLocalReply, type LocalReplyOptions } from './local-reply.js';

/** Sends a reply upstream and moves the server transaction on (17.2.1 / 17.2.2). */
export function sendUpstream(tm: Tm, cell: Cell, buf: Buffer, code: number, local: boolean, rpl: SipMessage | undefined, branch: number): void {
  const target = cell.replyTarget;
  if (target === null) return;
  cell.lastReply = buf;
  cell.lastReplyCode = code;
  cell.repliesSent++;
  cell.lastReplyLocal = local;
  tm.fire(cell, 'TMCB_RESPONSE_PRE_OUT', rpl, code, branch, undefined);
  tm.send(target, buf);
  if (local) tm.stats.local.inc();
  else tm.stats.relayed.inc();
  if (!local) tm.fire(cell, 'TMCB_RESPONSE_FWDED', rpl, code, branch, undefined);
  tm.fire(cell, 'TMCB_RESPONSE_OUT', rpl, code, branch, undefined);
  if (local) tm.fire(cell, 'TMCB_LOCAL_RESPONSE_OUT', rpl, code, branch, undefined);
  if (code < 200) {
    if (cell.state === 'trying') cell.state = 'proceeding';
    return;
  }
  if (cell.status === 0) {
    cell.status = code;
    tm.stats.completed(code);
  }
  if (cell.isInvite) {
    if (code < 300) {
      // RFC 6026 7.1: Accepted. A relayed 2xx is retransmitted by the UAS; our own by us (13.3.1.4).
      cell.state = 'accepted';
      if (local && target.proto === 'udp') {
        cell.awaitingAck = true;
        cell.retrMs = tm.cfg.T1;
        cell.ackWaitedMs = 0;
        armLocal2xx(tm, cell);
      }
    } else {
      // 17.2.1: Completed; timer G retransmits the reply over UDP until the ACK, timer H gives up.
      cell.state = 'completed';
      if (target.proto === 'udp') {
        cell.retrMs = tm.cfg.T1;
        armG(tm, cell);
      }
      cell.waitTimer = tm.wheel.cancel(cell.waitTimer);
      // Timer H: RFC 3261 says 64*T1, but the tm doc defines fr_timer as the wait for "a final reply for a
      // request or ACK for a negative INVITE reply", so OpenSIPS users get fr_timer (fr_timer_avp included).
      cell.waitTimer = tm.wheel.schedule('timer_H', cell.frMs, () => {
        cell.waitTimer = null;
        cell.retrTimer = tm.wheel.cancel(cell.retrTimer);
        cell.state = 'terminated';
        tm.checkDone(cell);
      });
    }
  } else {
    cell.state = 'completed';
  }
  tm.checkDone(cell);
}

function armG(tm: Tm, cell: Cell): void {
  cell.retrTimer = tm.wheel.schedule('timer_G', cell.retrMs, () => {
    cell.retrTimer = null;
    if (cell.state !== 'completed' || cell.lastReply === null || cell.replyTarget === null) return;
    tm.send(cell.replyTarget, cell.lastReply);
    cell.retrMs = Math.min(cell.retrMs * 2, tm.cfg.T2);
    armG(tm, cell);
  });
}

/** Resends our 2xx on T1, 2·T1 … capped at T2, until the ACK comes or 64·T1 have passed (13.3.1.4). */
function armLocal2xx(tm: Tm, cell: Cell): void {
  cell.retrTimer = tm.wheel.schedule('local_2xx_retr', cell.retrMs, () => {
    cell.retrTimer = null;
    if (!cell.awaitingAck || cell.deleted || cell.lastReply === null || cell.replyTarget === null) return;
    cell.ackWaitedMs += cell.retrMs;
    if (cell.ackWaitedMs >= 64 * tm.cfg.T1) {
      tm.log.info({ t: cell.id, callId: cell.request.header('call-id') }, 'no ACK for our 2xx within 64*T1: retransmissions stopped');
      endAckWait(tm, cell);
      return;
    }
    tm.send(cell.replyTarget, cell.lastReply);
    cell.retrMs = Math.min(cell.retrMs * 2, tm.cfg.T2);
    armLocal2xx(tm, cell);
  });
}

/** The ACK of our 2xx arrived (or we gave up on it): retransmissions stop and the wait phase may start. */
export function endAckWait(tm: Tm, cell: Cell): void {
  if (!cell.awaitingAck) return;
  cell.awaitingAck = false;
  cell.retrTimer = tm.wheel.cancel(cell.retrTimer);
  tm.checkDone(cell);
}

/** Builds and sends a reply of our own (t_reply, 100 Trying, 408, 487…). */
export function replyLocal(tm: Tm, cell: Cell, code: number, reason: string | undefined, o: LocalReplyOptions = {}): boolean {
  if (cell.replyTarget === null) return false;
  if (cell.status >= 200) return false; // one final reply per transaction (17.2)
  const headers: [string, string][] = o.headers ? [...o.headers] : [];
  const sh = tm.core.serverHeader;
  if (sh !== false && code > 100) headers.push(['Server', sh]);
  const buf = buildLocalReply(cell.request, cell.topVia, code, reason, { ...o, toTag: o.toTag ?? cell.toTag, headers });
  sendUpstream(tm, cell, buf, code, true, undefined, -1);
  return true;
}

/** A retransmission of the request (17.2.1 / 17.2.2): the last reply is sent again, or it is absorbed. */
export function onRequestRetransmission(tm: Tm, cell: Cell): void {
  switch (cell.state) {
    case 'trying':
      return; // nothing sent yet: absorbed
    case 'proceeding':
    case 'completed':
      if (cell.lastReply !== null && cell.replyTarget !== null) tm.send(cell.replyTarget, cell.lastReply);
      return;
    case 'accepted':
      // Our own 2xx is ours to resend (13.3.1.4); a relayed one is the UAS's, so the INVITE is absorbed.
      if (cell.lastReplyLocal && cell.lastReply !== null && cell.replyTarget !== null) tm.send(cell.replyTarget, cell.lastReply);
      return;
    case 'confirmed':
    case 'terminated':
      return;
    default: {
      const never: never = cell.state;
      return never;
    }
  }
}

/**
 * The ACK of a negative INVITE reply (17.2.1): Confirmed, absorbing ACK retransmissions for timer I (T4
 * over UDP, 0 over TCP/TLS), then Terminated. Timer I is the RFC's, not in the tm doc: it replaces
 * wt_timer for this case, as the RFC frees the transaction when I fires.
 */
export function onAck(tm: Tm, cell: Cell): void {
  if (cell.state !== 'completed') return;
  cell.state = 'confirmed';
  cell.retrTimer = tm.wheel.cancel(cell.retrTimer);
  cell.waitTimer = tm.wheel.cancel(cell.waitTimer);
  const reliable = cell.replyTarget !== null && cell.replyTarget.proto !== 'udp';
  if (reliable) {
    confirmedEnd(tm, cell);
    return;
  }
  cell.waitTimer = tm.wheel.schedule('timer_I', tm.cfg.T4, () => {
    cell.waitTimer = null;
    confirmedEnd(tm, cell);
  });
}

/** Timer I fired: freed now, or once the branches still pending (cancelled ones) have ended. */
function confirmedEnd(tm: Tm, cell: Cell): void {
  cell.state = 'terminated';
  if (cell.pendingBranches === 0 && cell.busy === 0) tm.delete(cell);
  else tm.checkDone(cell);
}
