/**
 * CANCEL (RFC 3261 9, 16.10): a received CANCEL is answered 200 by its own transaction and cancels every
 * pending branch of its INVITE; each branch sends its CANCEL once it has seen a provisional reply (9.1),
 * retransmitted over UDP until answered or until the transaction is freed.
 */
import type { Tm } from './tm.js';
import type { Cell } from './transaction/cell.js';
import type { Branch } from './transaction/branch.js';
import { hopRequest } from './transaction/client.js';
import { replyLocal } from './transaction/server.js';

/** Cancels one branch (t_cancel_branch, a CANCEL from upstream, a 2xx on another branch, a timeout). */
export function cancelBranch(tm: Tm, cell: Cell, br: Branch): void {
  if (!cell.isInvite || !br.pending || br.cancel !== 'none') return;
  if (!br.provisional) {
    br.cancel = 'pending'; // 9.1: not before a provisional reply; sent when one arrives
    return;
  }
  sendCancel(tm, cell, br);
}

/** Sends the branch's CANCEL now (a provisional arrived, or it was asked while one had). */
export function sendCancel(tm: Tm, cell: Cell, br: Branch): void {
  br.cancel = 'sent';
  br.cancelBuf = hopRequest(br, 'CANCEL', undefined);
  tm.send(br.target, br.cancelBuf);
  if (br.reliable) return;
  br.cancelMs = tm.cfg.T1;
  const retr = (): void => {
    br.cancelTimer = tm.wheel.schedule('cancel_retr', br.cancelMs, () => {
      br.cancelTimer = null;
      if (br.cancel !== 'sent' || cell.deleted || br.cancelBuf === null) return;
      tm.send(br.target, br.cancelBuf);
      br.cancelMs = Math.min(br.cancelMs * 2, tm.cfg.T2);
      retr();
    });
  };
  retr();
}

/** A reply to our CANCEL on a branch: stops its retransmissions. */
export function cancelAnswered(tm: Tm, br: Branch, code: number): void {
  if (code < 200) return;
  br.cancel = 'answered';
  br.cancelTimer = tm.wheel.cancel(br.cancelTimer);
}

/** Cancels every pending branch of an INVITE (CANCEL from upstream, t_cancel_call, the API). */
export function cancelAll(tm: Tm, cell: Cell, except?: Branch): void {
  for (const b of cell.branches) if (b !== except) cancelBranch(tm, cell, b);
}

/**
 * A CANCEL matched this INVITE. A final reply already sent (the CANCEL crossed a 2xx) leaves the call as
 * it is; otherwise the branches are cancelled and, when there are none, the INVITE is answered 487.
 */
export function cancelInvite(tm: Tm, cell: Cell): void {
  if (cell.cancelled || cell.status >= 200) return;
  cell.cancelled = true;
  tm.fire(cell, 'TMCB_TRANS_CANCELLED', undefined, 0, -1, undefined);
  cancelAll(tm, cell);
  if (cell.local === null && cell.pendingBranches === 0 && cell.busy === 0) replyLocal(tm, cell, 487, 'Request Terminated');
}
