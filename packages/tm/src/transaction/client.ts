/**
 * The client side of a branch, RFC 3261 17.1: sending the copy, retransmissions over UDP (timer A doubling
 * for INVITE, timer E capped at T2 otherwise), the final-response timer (fr_timer / fr_inv_timer in place
 * of B and F), and the hop-by-hop requests a branch sends itself: ACK of a non-2xx and CANCEL.
 */
import { parseMessage, type SipMessage } from '@core/sip';
import type { Tm } from '../tm.js';
import type { Cell } from './cell.js';
import type { Branch } from './branch.js';
import { watchConnection } from '../connections.js';

export type BranchTimeout = (tm: Tm, cell: Cell, br: Branch) => void;

/** Sends the branch's copy and starts its timers; false when the transport refused it. */
export async function sendBranch(tm: Tm, cell: Cell, br: Branch, onTimeout: BranchTimeout): Promise<boolean> {
  cell.refs++;
  let sent: number | undefined | false;
  try {
    sent = await tm.sendOn(br.target, br.buf, cell.method);
  } finally {
    cell.refs--;
  }
  if (sent === false || cell.deleted) return false;
  if (!br.pending) return true; // answered while we were sending (a fast reply over TCP)
  if (sent !== undefined) {
    br.connId = sent;
    watchConnection(tm, cell, sent);
  }
  if (!br.reliable) {
    br.retrMs = tm.cfg.T1;
    armRetransmission(tm, cell, br);
  }
  armFr(tm, cell, br, cell.frMs, onTimeout);
  return true;
}

function armRetransmission(tm: Tm, cell: Cell, br: Branch): void {
  br.retrTimer = tm.wheel.schedule(cell.isInvite ? 'timer_A' : 'timer_E', br.retrMs, () => {
    br.retrTimer = null;
    if (!br.pending || cell.deleted) return;
    // 17.1.1.2: A stops at the first provisional; 17.1.2.2: E goes on at T2 in Proceeding.
    if (cell.isInvite && br.state !== 'calling') return;
    tm.send(br.target, br.buf);
    br.retrMs = cell.isInvite ? br.retrMs * 2 : br.state === 'proceeding' ? tm.cfg.T2 : Math.min(br.retrMs * 2, tm.cfg.T2);
    armRetransmission(tm, cell, br);
  });
}

/** (Re)starts the final-response timer of a branch. */
export function armFr(tm: Tm, cell: Cell, br: Branch, ms: number, onTimeout: BranchTimeout): void {
  br.frTimer = tm.wheel.cancel(br.frTimer);
  br.frTimer = tm.wheel.schedule(cell.isInvite ? 'fr_inv_timer' : 'fr_timer', ms, () => {
    br.frTimer = null;
    if (br.pending && !cell.deleted) onTimeout(tm, cell, br);
  });
}

export function stopBranchTimers(tm: Tm, br: Branch): void {
  br.retrTimer = tm.wheel.cancel(br.retrTimer);
  br.frTimer = tm.wheel.cancel(br.frTimer);
}

/**
 * A request on the branch's hop (RFC 3261 9.1 CANCEL, 17.1.1.3 ACK): the branch's R-URI and Via, Route,
 * From, Call-ID and CSeq number of the copy sent; To from the reply for an ACK.
 */
export function hopRequest(br: Branch, method: 'ACK' | 'CANCEL', to: string | undefined): Buffer {
  const sent = br.sent(parseMessage);
  let s = `${method} ${sent.ruri} SIP/2.0\r\nVia: ${sent.via[0]?.raw ?? ''}\r\n`;
  for (const r of sent.headerValues('Route')) s += `Route: ${r}\r\n`;
  s += `From: ${sent.header('From') ?? ''}\r\nTo: ${to ?? sent.header('To') ?? ''}\r\nCall-ID: ${sent.callId}\r\n`;
  s += `CSeq: ${sent.cseq.seq} ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  return Buffer.from(s, 'utf8');
}

/** ACK for a non-2xx final reply to an INVITE branch, sent (and resent on a retransmitted final). */
export function ackNon2xx(tm: Tm, br: Branch, reply: SipMessage): void {
  br.ackBuf ??= hopRequest(br, 'ACK', reply.header('To'));
  tm.send(br.target, br.ackBuf);
}
