/**
 * Branches sent over TCP/TLS and the connection each went out on, so a connection that closes fails its
 * pending branches at once (core hook `onConnectionClose`) instead of after fr_timer / fr_inv_timer.
 * Only transactions with such a branch are listed; they leave the list when freed or when the connection
 * closes, so a long-lived connection to a trunk holds only its live transactions.
 */
import type { Tm } from './tm.js';
import type { Cell } from './transaction/cell.js';
import { onBranchTransportFailure } from './reply-in.js';

export function watchConnection(tm: Tm, cell: Cell, connId: number): void {
  let set = tm.byConn.get(connId);
  if (set === undefined) {
    set = new Set();
    tm.byConn.set(connId, set);
  }
  set.add(cell);
}

export function unwatchConnection(tm: Tm, cell: Cell, connId: number): void {
  const set = tm.byConn.get(connId);
  if (set === undefined) return;
  set.delete(cell);
  if (set.size === 0) tm.byConn.delete(connId);
}

/** The core reported connection `connId` closed: every branch still waiting for a final reply on it fails. */
export function onConnectionClosed(tm: Tm, connId: number): void {
  const set = tm.byConn.get(connId);
  if (set === undefined) return;
  tm.byConn.delete(connId);
  if (!tm.running) return;
  for (const cell of set) {
    if (cell.deleted) continue;
    for (const br of cell.branches) if (br.connId === connId && br.pending) onBranchTransportFailure(tm, cell, br);
  }
}
