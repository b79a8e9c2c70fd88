/**
 * Replies on the client side (RFC 3261 17.1 per branch state, 16.7 for the proxy): provisional relay,
 * every 2xx relayed at once, negative finals collected until every branch ended, then failure_route
 * (serial forking) or the best reply upstream. Also the branch timeout (fr_timer / fr_inv_timer).
 */
import { applyHeaderOps, type ReceiveInfo, type RouteContext, type SipMessage } from '@core/sip';
import type { Tm } from './tm.js';
import type { Cell } from './transaction/cell.js';
import type { Branch } from './transaction/branch.js';
import { ackNon2xx, armFr, stopBranchTimers } from './transaction/client.js';
import { replyLocal, sendUpstream } from './transaction/server.js';
import { cancelAll, cancelAnswered, cancelBranch, sendCancel } from './cancel.js';
import { authChallenges, selectBest } from './reply-selection.js';
import { deriveContext } from './derive.js';
import { failover } from './relay.js';

/** The core replyIn hook: true when the reply belongs to one of our branches. */
export function onReplyIn(tm: Tm, msg: SipMessage, rinfo: ReceiveInfo): boolean {
  if (!tm.running) return false;
  let branch: string | undefined;
  let method: string;
  try {
    branch = msg.topVia.branch;
    method = msg.cseq.method;
  } catch {
    return false;
  }
  if (branch === undefined) return false;
  const found = tm.findBranch(branch);
  if (found === undefined) return false; // unknown: the core relays it statelessly
  const { cell, br } = found;
  if (method === 'CANCEL') {
    tm.stats.received.inc();
    cancelAnswered(tm, br, msg.status);
    return true;
  }
  if (method !== cell.method) return false;
  tm.stats.received.inc();
  serial(tm, cell, () => onReply(tm, cell, br, msg, rinfo));
  return true;
}

/** Runs `fn` after whatever this transaction is already processing (routes may be async). */
function serial(tm: Tm, cell: Cell, fn: () => Promise<void> | void): void {
  cell.queue = cell.queue.then(fn).catch((err: unknown) => tm.core.caught('tm reply processing', err, cell.request, { t: cell.id }));
}

/** One handler per client state (17.1.1.2 / 17.1.2.2, RFC 6026 Accepted). */
async function onReply(tm: Tm, cell: Cell, br: Branch, msg: SipMessage, rinfo: ReceiveInfo): Promise<void> {
  if (cell.deleted) return;
  switch (br.state) {
    case 'calling':
    case 'trying':
    case 'proceeding':
      return onPendingReply(tm, cell, br, msg, rinfo);
    case 'completed':
      // A retransmitted final: the ACK goes again (17.1.1.2); non-INVITE finals are absorbed (17.1.2.2).
      if (cell.isInvite && msg.status >= 300) ackNon2xx(tm, br, msg);
      return;
    case 'accepted':
    case 'terminated':
      if (cell.isInvite && msg.status >= 200 && msg.status < 300) return lateTwoXx(tm, cell, msg);
      if (cell.isInvite && msg.status >= 300) ackNon2xx(tm, br, msg); // e.g. the 487 of a branch we gave up on
      return;
    default: {
      const never: never = br.state;
      return never;
    }
  }
}

/**
 * A 2xx on a branch that already has its outcome: a retransmission, another fork's 2xx, or a 2xx after
 * the INVITE was answered 408 locally; all are forwarded statelessly (RFC 6026 7.2). Locally: ACK again.
 */
function lateTwoXx(tm: Tm, cell: Cell, msg: SipMessage): void {
  if (cell.local !== null) {
    const ack = cell.local.ack;
    if (ack !== null) tm.send(ack.target, ack.buf);
    return;
  }
  if (cell.replyTarget === null) return;
  const e = msg.edit().popVia();
  if (cell.replyOps !== null) applyHeaderOps(e, cell.replyOps);
  tm.send(cell.replyTarget, e.toBuffer());
  tm.stats.relayed.inc();
}

async function onPendingReply(tm: Tm, cell: Cell, br: Branch, msg: SipMessage, rinfo: ReceiveInfo): Promise<void> {
  const code = msg.status;
  tm.fire(cell, 'TMCB_RESPONSE_IN', msg, code, br.idx, undefined);
  br.code = code;
  if (code < 200) {
    const first = !br.provisional;
    br.provisional = true;
    br.state = 'proceeding';
    if (cell.isInvite) {
      br.retrTimer = tm.wheel.cancel(br.retrTimer);
      if (first || tm.cfg.restartFr) armFr(tm, cell, br, cell.frInvMs, onBranchTimeout);
    }
    if (br.cancel === 'pending') sendCancel(tm, cell, br);
    const r = await runOnReply(tm, cell, br, msg, rinfo);
    if (cell.local !== null) {
      try {
        cell.local.cb?.onProvisional?.(msg, cell);
      } catch (err) {
        tm.core.caught('UAC onProvisional', err, msg, { t: cell.id });
      }
    } else if (code > 100 && !r.dropped && cell.status < 200) {
      relayReply(tm, cell, msg, r.ctx, br.idx, null);
    }
    return;
  }
  stopBranchTimers(tm, br);
  br.final = msg;
  br.finalCode = code;
  br.localFinal = false;
  if (cell.isInvite && code >= 300) ackNon2xx(tm, br, msg);
  br.state = cell.isInvite && code < 300 ? 'accepted' : 'completed';
  const r = await runOnReply(tm, cell, br, msg, rinfo);
  if (code < 300) {
    if (cell.picked < 0 || cell.status < 200) cell.picked = br.idx;
    if (cell.local !== null) deliver(tm, cell, code, msg);
    else if (cell.isInvite || cell.status < 200) relayReply(tm, cell, msg, r.ctx, br.idx, null);
    if (cell.isInvite) cancelAll(tm, cell, br); // 16.7 step 10: the call is answered
    tm.checkDone(cell);
    return;
  }
  if (code >= 600 && !tm.cfg.disable6xxBlock) {
    cell.noNewBranches = true;
    cancelAll(tm, cell, br); // 16.7 step 5: a 6xx ends the search
  }
  if (code === 503 && (await failover(tm, cell, br))) return;
  await decide(tm, cell);
}

/** runOnReply's outcome when no onreply route is set: one shared object, not one per reply. */
const NO_ROUTE: { readonly ctx: null; readonly dropped: false } = Object.freeze({ ctx: null, dropped: false });

/** onreply_route (global, then the one armed by t_on_reply). A drop only holds back provisional replies. */
async function runOnReply(
  tm: Tm,
  cell: Cell,
  br: Branch,
  msg: SipMessage,
  rinfo: ReceiveInfo,
): Promise<{ readonly ctx: RouteContext | null; readonly dropped: boolean }> {
  const routes = tm.core.routes;
  const named = cell.onReply !== null ? routes.onreply_route?.[cell.onReply] : undefined;
  if (routes.onreply === undefined && named === undefined) return NO_ROUTE;
  const c = deriveContext(tm, cell, 'onreply', msg, rinfo, cell.ctx, tm.cfg.onreplyAvpShared);
  const st = tm.state(c);
  st.branchIdx = br.idx;
  st.replyCode = msg.status;
  st.bflags = br.flags;
  cell.refs++;
  let ok = true;
  try {
    if (routes.onreply !== undefined) ok = await tm.core.runRoute(routes.onreply, c);
    if (ok && named !== undefined) ok = await tm.core.runRoute(named, c);
  } finally {
    cell.refs--;
  }
  cell.flags = c.flags;
  br.flags = st.bflags;
  return { ctx: c, dropped: !ok && msg.status < 200 };
}

/**
 * Relays a received reply upstream: our Via popped (16.7 step 9), onreply_route header changes applied,
 * then the transaction's reply ops (setReplyOps).
 */
function relayReply(tm: Tm, cell: Cell, msg: SipMessage, ctx: RouteContext | null, branch: number, auth: [string, string][] | null): void {
  const e = msg.edit().popVia();
  if (ctx !== null && ctx.ops.length > 0) applyHeaderOps(e, ctx.ops);
  if (auth !== null) {
    e.removeHeader('WWW-Authenticate').removeHeader('Proxy-Authenticate');
    for (const [n, v] of auth) e.addHeader(n, v);
  }
  if (cell.replyOps !== null) applyHeaderOps(e, cell.replyOps);
  tm.core.stats.fwd_replies.inc();
  sendUpstream(tm, cell, e.toBuffer(), msg.status, false, msg, branch);
}

/** A branch got no final reply in time: 408 for it (CANCEL when it had rung), next destination or decision. */
export function onBranchTimeout(tm: Tm, cell: Cell, br: Branch): void {
  stopBranchTimers(tm, br);
  if (cell.isInvite && br.provisional) cancelBranch(tm, cell, br);
  br.state = 'terminated';
  br.finalCode = 408;
  br.localFinal = true;
  const noReply = br.code === 0;
  serial(tm, cell, async () => {
    if (noReply && (await failover(tm, cell, br))) return;
    await decide(tm, cell);
  });
}

/**
 * The TCP/TLS connection a pending branch was sent on closed: the branch fails now, not at fr_timer.
 * RFC 3261 17.1.4 reports it to the TU as a transport error and 16.9 has the proxy behave "as if the
 * forwarded request received a 503": so the branch ends with a local 503, which the tm doc and RFC 3263 4.3
 * make a transaction-level failover to the next DNS destination; with none left, failure_route sees 503
 * ($T_reply_code, t_check_status) and, by RFC 3261 16.7 step 6, a 500 goes upstream, never the 503.
 * A branch that had rung is CANCELled first (best effort, over a new connection): the UAS may still be
 * alive and reach us by a new connection (18.2.2).
 */
export function onBranchTransportFailure(tm: Tm, cell: Cell, br: Branch): void {
  stopBranchTimers(tm, br);
  if (cell.isInvite && br.provisional) cancelBranch(tm, cell, br);
  br.state = 'terminated';
  br.finalCode = 503;
  br.localFinal = true;
  tm.log.debug({ t: cell.id, branch: br.idx, connId: br.connId }, 'branch connection closed: transport failure');
  serial(tm, cell, async () => {
    if (await failover(tm, cell, br)) return;
    await decide(tm, cell);
  });
}

/** Re-examines the transaction once branch creation ended (replies may have come meanwhile). */
export function decideLater(tm: Tm, cell: Cell): void {
  serial(tm, cell, () => decide(tm, cell));
}

/**
 * Every (non-minor) branch ended without a 2xx: failure_route may fork anew; otherwise the best reply
 * goes upstream (16.7 step 6), or to the module that sent a local request.
 */
async function decide(tm: Tm, cell: Cell): Promise<void> {
  if (cell.deleted || cell.busy > 0) return;
  if (cell.status >= 200 || cell.local?.done === true) {
    tm.checkDone(cell);
    return;
  }
  let pendingMajor = 0;
  for (const b of cell.branches) if (b.pending && !b.minor) pendingMajor++;
  if (pendingMajor > 0) return;
  const round = cell.firstBranch === 0 ? cell.branches : cell.branches.slice(cell.firstBranch);
  const best = selectBest(round);
  if (best === undefined) {
    if (cell.local !== null && cell.pendingBranches === 0 && cell.branches.length > 0) deliver(tm, cell, 503, undefined);
    return; // nothing ended negatively yet (minor branches only, or none sent)
  }
  for (const b of cell.branches) if (b.pending) cancelBranch(tm, cell, b); // minor branches are not waited for
  cell.picked = best.idx;
  tm.fire(cell, 'TMCB_ON_FAILURE_RO', best.final, best.finalCode, best.idx, undefined);
  tm.fire(cell, 'TMCB_ON_FAILURE', best.final, best.finalCode, best.idx, undefined);
  if (cell.local !== null) {
    deliver(tm, cell, best.finalCode, best.final);
    return;
  }
  if (await runFailureRoute(tm, cell, best)) return;
  sendBest(tm, cell, best);
}

/** failure_route: true when it took over (new branches pending, or it replied). */
async function runFailureRoute(tm: Tm, cell: Cell, best: Branch): Promise<boolean> {
  const name = cell.onFailure;
  const route = name !== null ? tm.core.routes.failure_route?.[name] : undefined;
  if (route === undefined || cell.rinfo === null) return false;
  cell.onFailure = null; // one run per arming; the route may arm it again for the next round
  const c = deriveContext(tm, cell, 'failure', cell.request, cell.rinfo, cell.ctx, true);
  const st = tm.state(c);
  st.branchIdx = best.idx;
  st.replyCode = best.finalCode;
  st.bflags = best.flags;
  if (best.uri !== cell.request.ruri) c.$ru = best.uri;
  const before = cell.branches.length;
  cell.busy++;
  cell.refs++;
  try {
    await tm.core.runRoute(route, c);
  } finally {
    cell.busy--;
    cell.refs--;
  }
  cell.flags = c.flags;
  if (cell.status >= 200) {
    tm.checkDone(cell);
    return true;
  }
  if (cell.branches.length > before) {
    cell.firstBranch = before;
    // Serial forking: wait for the new branches (or decide now if they all ended already).
    await decide(tm, cell);
    return true;
  }
  return false;
}

function sendBest(tm: Tm, cell: Cell, best: Branch): void {
  if (cell.cancelled && best.localFinal) replyLocal(tm, cell, 487, 'Request Terminated');
  else if (best.finalCode === 503)
    replyLocal(tm, cell, 500, 'Server Internal Error'); // 16.7 step 6: never a 503 upstream (received or a transport failure)
  else if (best.final === undefined) replyLocal(tm, cell, best.finalCode, best.finalCode === 408 ? 'Request Timeout' : undefined);
  else {
    const code = best.finalCode;
    relayReply(
      tm,
      cell,
      best.final,
      null,
      best.idx,
      code === 401 || code === 407 ? authChallenges(cell.firstBranch === 0 ? cell.branches : cell.branches.slice(cell.firstBranch)) : null,
    );
  }
  tm.checkDone(cell);
}

/** The outcome of a local (UAC) transaction, once. */
export function deliver(tm: Tm, cell: Cell, code: number, reply: SipMessage | undefined): void {
  const local = cell.local;
  if (local === null || local.done) return;
  local.done = true;
  if (cell.status === 0) {
    cell.status = code;
    tm.stats.completed(code);
  }
  tm.fire(cell, 'TMCB_LOCAL_COMPLETED', reply, code, -1, undefined);
  local.resolve({ code, reply, transaction: cell });
  tm.checkDone(cell);
}
