/**
 * Route contexts tm opens for a transaction (branch_route, onreply_route, failure_route): flags are the
 * transaction's, AVPs are the request's (OpenSIPS keeps them in the transaction), header changes and
 * module slots start from the request's so Record-Route and script changes carry into new branches.
 */
import type { ReceiveInfo, RouteContext, RouteType, SipMessage } from '@core/sip';
import type { Tm } from './tm.js';
import type { Cell } from './transaction/cell.js';
import { TmMsgState } from './msg-state.js';

export function deriveContext(tm: Tm, cell: Cell, type: RouteType, msg: SipMessage, rinfo: ReceiveInfo, from: RouteContext | null, shareAvps: boolean): RouteContext {
  const c = tm.core.createContext(type, msg, rinfo);
  c.flags = cell.flags;
  if (from !== null) {
    c.blacklists = from.blacklists;
    if (type !== 'onreply') {
      c.ops = from.ops.slice();
      for (let i = 0; i < c.slots.length; i++) if (i !== tm.slot) c.slots[i] = from.slots[i];
    }
    if (shareAvps) {
      // AVPs live with the transaction: reads and writes go to the request's context.
      c.avp = (n) => from.avp(n);
      c.setAvp = (n, v) => from.setAvp(n, v);
      c.avps = (n) => from.avps(n);
      c.deleteAvp = (n) => from.deleteAvp(n);
    }
  }
  const st = new TmMsgState();
  st.cell = cell;
  const src = from === null ? undefined : (from.slots[tm.slot] as TmMsgState | undefined);
  st.onFailure = cell.onFailure;
  st.onReply = cell.onReply;
  st.onBranch = cell.onBranch;
  if (src !== undefined) st.bflags = src.bflags;
  c.slots[tm.slot] = st;
  return c;
}
