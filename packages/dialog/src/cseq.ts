/**
 * CSeq numbering when the dialog module sends requests of its own inside a dialog (OPTIONS pings, BYEs).
 *
 * A request we send towards one leg takes the next number of the other UA's sequence as that leg sees it.
 * The UA itself does not know, so its later requests would reuse those numbers and the leg would reject them
 * (RFC 3261 12.2.2: a CSeq not above the last one is out of order, 500). So per leg we keep the last number
 * it was sent (`calleePingCseq` for the callee, the DB's callee_ping_cseq): 0 while we never sent that leg
 * anything, and from then on the UA's requests are relayed shifted by the gap between that number and the
 * UA's own last one. ACK and CANCEL take the shift their INVITE had (a ping may run between the two).
 *
 * Replies to shifted requests go back with the UA's own number: the engine asks tm (setReplyOps) to put the
 * original CSeq back on every reply of that transaction it relays, 2xx retransmissions included while the
 * transaction lives. A 2xx retransmission after tm freed the transaction goes back shifted (relayed statelessly).
 */
import type { Dlg } from './dialog.js';

/** The CSeq number of a request we send to the caller (`toCaller`) or to the callee, taken from that leg's sequence. */
export function nextLocalCseq(d: Dlg, toCaller: boolean): number {
  if (toCaller) return (d.callerPingCseq = Math.max(d.callerPingCseq, d.calleeCseq) + 1);
  return (d.calleePingCseq = Math.max(d.calleePingCseq, d.callerCseq) + 1);
}

/**
 * The CSeq number to relay a UA's in-dialog request with (`seq` when no shift applies). Call it before the
 * sender's last CSeq is updated: a new request (seq above the last) moves the leg's last sent number along.
 * `downstream`: the request comes from the caller and goes to the callee.
 */
export function relayedCseq(d: Dlg, downstream: boolean, method: string, seq: number): number {
  if (method === 'ACK' || method === 'CANCEL') return seq + (downstream ? d.calleeAckShift : d.callerAckShift);
  const last = downstream ? d.callerCseq : d.calleeCseq;
  const sent = downstream ? d.calleePingCseq : d.callerPingCseq;
  // A row written by another tool may hold a number below the UA's: never shift backwards.
  const shift = sent === 0 ? 0 : Math.max(0, sent - last);
  const out = seq + shift;
  if (shift !== 0 && seq > last) {
    if (downstream) d.calleePingCseq = out;
    else d.callerPingCseq = out;
  }
  if (method === 'INVITE') {
    if (downstream) d.calleeAckShift = shift;
    else d.callerAckShift = shift;
  }
  return out;
}
