/**
 * Stateful relaying (RFC 3261 16.6 per branch): t_newtran, t_relay and its return codes, the branch set
 * (R-URI plus append_branch), branch_route per branch, RFC 3263 destinations with transport-level
 * failover, and what t_relay does with an ACK (hop-by-hop absorbed, end-to-end forwarded) and a CANCEL.
 */
import { addressFamily, buildOutgoingRequest, fromSocket, parseUri, responseTarget, safeCallId, type RouteContext, type SendTarget, type SipUri } from '@core/sip';
import type { Tm } from './tm.js';
import type { Cell } from './transaction/cell.js';
import { Branch, type BranchBuilder } from './transaction/branch.js';
import { sendBranch, stopBranchTimers } from './transaction/client.js';
import { onAck, onRequestRetransmission, replyLocal } from './transaction/server.js';
import { dialogKey, requestKey } from './transaction/keys.js';
import { literalTarget, locate, type DnsCursor } from './dns-failover.js';
import { deriveContext } from './derive.js';
import { cancelInvite } from './cancel.js';
import { onBranchTimeout, decideLater } from './reply-in.js';

/** Return codes of t_relay, as the OpenSIPS doc lists them. */
export const E_INTERNAL = -1;
export const E_BAD_MSG = -2;
export const E_NO_DEST = -3;
export const E_BAD_DEST = -4;
export const E_BLACKLISTED = -5;
export const E_SEND = -6;

const ERROR_REPLY: Record<number, [number, string]> = {
  [E_INTERNAL]: [500, 'Server Internal Error'],
  [E_BAD_MSG]: [400, 'Bad Request'],
  [E_NO_DEST]: [500, 'No destination available'],
  [E_BAD_DEST]: [478, 'Unresolvable destination'],
  [E_BLACKLISTED]: [403, 'Destination filtered'],
  [E_SEND]: [477, 'Unfortunately error on sending to next hop occurred'],
};

export type NewTran = Cell | 'retransmission' | number;

/**
 * t_newtran: the server transaction of the request, created now; a retransmission is answered/absorbed.
 * `guard` arms the timer that frees a transaction the script never answers nor relays; t_relay, which does
 * one or the other at once, arms it only when it did neither (see tRelay).
 */
export function newTransaction(tm: Tm, ctx: RouteContext, guard = true): NewTran {
  const st = tm.state(ctx);
  if (st.cell !== null) return st.cell;
  const msg = ctx.msg;
  if (!msg.isRequest || msg.method === 'ACK') return E_INTERNAL; // an ACK never creates a transaction
  let key: string;
  let target: SendTarget;
  try {
    key = requestKey(msg, msg.method, tm.cfg);
    target = fromSocket(responseTarget(msg.topVia, ctx.rinfo), ctx.rinfo.socket);
  } catch {
    return E_BAD_MSG;
  }
  const ex = tm.table.byKey(key);
  if (ex !== undefined) {
    onRequestRetransmission(tm, ex);
    return 'retransmission';
  }
  if (resendCachedReply(tm, key)) return 'retransmission';
  const cell = tm.newCell(msg.method, msg, key, ctx.rinfo, null, ctx);
  cell.flags = ctx.flags;
  cell.onFailure = st.onFailure;
  cell.onReply = st.onReply;
  cell.onBranch = st.onBranch;
  cell.replyTarget = target;
  for (const op of ctx.ops) if (op.kind === 'topVia') cell.topVia = op.value;
  if (cell.isInvite) tm.table.setDialogKey(cell, dialogKey(msg.callId, msg.from.tag, msg.cseq.seq));
  st.cell = cell;
  tm.stats.uas.inc();
  tm.fire(cell, 'TMCB_REQUEST_IN', undefined, 0, -1, ctx);
  if (guard) armGuard(tm, cell);
  return cell;
}

/** A late retransmission of a freed non-INVITE transaction (timer J): its final reply again. */
export function resendCachedReply(tm: Tm, key: string): boolean {
  const c = tm.replyCache.get(key);
  if (c === undefined) return false;
  tm.send(c.target, c.reply);
  return true;
}

function armGuard(tm: Tm, cell: Cell): void {
  cell.guardTimer = tm.wheel.schedule('newtran_guard', cell.isInvite ? cell.frInvMs : cell.frMs, () => {
    cell.guardTimer = null;
    if (cell.status < 200 && cell.pendingBranches === 0 && cell.busy === 0) {
      tm.log.debug({ t: cell.id, callId: safeCallId(cell.request) }, 'transaction never answered nor relayed: freed');
      cell.state = 'terminated';
      tm.delete(cell);
    }
  });
}

/**
 * The request went to an application (t_write_req/t_write_unix) that answers through MI t_reply: if it does
 * not within fr_timer (fr_inv_timer for an INVITE), the caller gets a 408, as a branch that timed out.
 */
export function addBlindUac(tm: Tm, cell: Cell): void {
  cell.guardTimer = tm.wheel.cancel(cell.guardTimer);
  cell.guardTimer = tm.wheel.schedule('blind_uac', cell.isInvite ? cell.frInvMs : cell.frMs, () => {
    cell.guardTimer = null;
    if (cell.status < 200 && !cell.deleted) replyLocal(tm, cell, 408, 'Request Timeout');
  });
}

/** `t_relay([flags])` / `t_relay(dest[, flags])`: a numeric string is flags, anything else a destination. */
export function relayArgs(a?: string | number, b?: string | number): { dest: string | undefined; flags: number } {
  const num = (v: string | number): number => (typeof v === 'number' ? v : Number(v.trim()));
  if (a === undefined) return { dest: undefined, flags: 0 };
  if (typeof a === 'number' || /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(a)) return { dest: undefined, flags: num(a) };
  return { dest: a, flags: b === undefined ? 0 : num(b) };
}

export async function tRelay(tm: Tm, ctx: RouteContext, dest: string | undefined, flags: number): Promise<number> {
  const msg = ctx.msg;
  if (!msg.isRequest) return E_INTERNAL;
  if (ctx.routeType === 'failure') return relayFromFailure(tm, ctx, dest, flags);
  if (msg.method === 'ACK') return relayAck(tm, ctx, dest);
  if (msg.method === 'CANCEL') return relayCancel(tm, ctx, dest);
  const r = newTransaction(tm, ctx, false);
  if (r === 'retransmission') return 0;
  if (typeof r === 'number') return r;
  const cell = r;
  if (cell.branches.length > 0) return E_INTERNAL; // relayed already
  cell.relayFlags = flags;
  // No copy of ctx.flags here: flags changed after t_newtran reach the transaction only by t_flush_flags.
  tm.refreshTimeouts(cell, ctx);
  if (cell.isInvite && (flags & 1) === 0 && cell.lastReplyCode === 0) replyLocal(tm, cell, 100, 'Trying');
  let rc: number = E_INTERNAL;
  try {
    rc = await forward(tm, cell, ctx, dest, flags);
    if (rc > 0) {
      ctx.forwarded = true;
    } else if (cell.cancelled && cell.status < 200) {
      // The CANCEL came while the branch was being built and got its 200: this INVITE ends 487 (9.2).
      if (replyLocal(tm, cell, 487, 'Request Terminated')) [ctx.replied, rc] = [true, 0];
    } else if ((flags & 2) === 0 && cell.status < 200) {
      const [code, reason] = ERROR_REPLY[rc] ?? [500, 'Server Internal Error'];
      // Replied here: 0 ends the script, as in OpenSIPS, so `if (t_relay() < 0) sl_reply_error()` sends no second reply.
      if (replyLocal(tm, cell, code, reason)) [ctx.replied, rc] = [true, 0];
    }
  } finally {
    // Nothing sent and no reply (flag 0x2, or an error): the script may still answer; if never, free it.
    if (cell.status < 200 && cell.pendingBranches === 0 && cell.guardTimer === null && !cell.deleted) armGuard(tm, cell);
  }
  return rc;
}

/** t_relay in failure_route: serial forking, new branches on the same transaction. */
async function relayFromFailure(tm: Tm, ctx: RouteContext, dest: string | undefined, flags: number): Promise<number> {
  const cell = tm.state(ctx).cell;
  if (cell === null) return E_INTERNAL;
  if (cell.cancelled || cell.noNewBranches || cell.status >= 200) return E_NO_DEST;
  cell.relayFlags = flags;
  tm.refreshTimeouts(cell, ctx);
  return forward(tm, cell, ctx, dest, flags);
}

interface BranchSpec {
  uri: string;
  dstUri: string;
  flags: number;
  minor: boolean;
  build: BranchBuilder;
  dests: DnsCursor | null;
  /** Destinations an enabled blacklist forbids; skipped like refused ones (t_relay -5 when none is left). */
  blocked?: ((t: SendTarget) => boolean) | null;
}

/** Creates and sends a branch per destination of the branch set; 1 when at least one went out. */
export async function forward(tm: Tm, cell: Cell, ctx: RouteContext, dest: string | undefined, flags: number): Promise<number> {
  if (cell.cancelled || cell.noNewBranches) return E_NO_DEST;
  const st = tm.state(ctx);
  const set = [{ uri: ctx.$ru, dstUri: ctx.$du, flags: st.bflags }];
  for (const b of ctx.branches) set.push({ uri: b.uri, dstUri: b.dstUri ?? '', flags: b.flags });
  ctx.branches = []; // the branch set is consumed, as OpenSIPS clears it after t_relay
  cell.busy++;
  cell.refs++;
  let sent = 0;
  let err = E_NO_DEST;
  try {
    for (const b of set) {
      if (cell.cancelled) break;
      const r = await createBranch(tm, cell, ctx, b.uri, b.dstUri, b.flags, dest, flags);
      if (r > 0) sent++;
      else if (r < 0) err = r;
    }
  } finally {
    cell.busy--;
    cell.refs--;
  }
  decideLater(tm, cell); // replies that ended branches while others were being created
  return sent > 0 ? 1 : err;
}

/** `proto:host:port`, `host:port` or a SIP URI, as a URI to locate. */
export function destToUri(dest: string): SipUri {
  const m = /^(udp|tcp|tls):(.*)$/i.exec(dest);
  if (m === null) return parseUri(dest.startsWith('sip:') || dest.startsWith('sips:') ? dest : `sip:${dest}`);
  const proto = (m[1] as string).toLowerCase();
  return parseUri(`${proto === 'tls' ? 'sips' : 'sip'}:${m[2] as string};transport=${proto}`);
}

async function createBranch(
  tm: Tm,
  cell: Cell,
  ctx: RouteContext,
  uri: string,
  dstUri: string,
  bflags: number,
  dest: string | undefined,
  flags: number,
): Promise<number> {
  let bctx = ctx;
  const name = cell.onBranch;
  const route = name !== null ? tm.core.routes.branch_route?.[name] : undefined;
  if (route !== undefined && cell.rinfo !== null) {
    bctx = deriveContext(tm, cell, 'branch', cell.request, cell.rinfo, ctx, true);
    if (uri !== cell.request.ruri) bctx.$ru = uri;
    if (dstUri !== '') bctx.$du = dstUri;
    const bst = tm.state(bctx);
    bst.branchIdx = cell.branches.length;
    bst.bflags = bflags;
    if (!(await tm.core.runRoute(route, bctx))) return 0; // drop(): this branch is not sent
    uri = bctx.$ru;
    dstUri = bctx.$du;
    bflags = bst.bflags;
    cell.flags = bctx.flags;
  }
  let hop: SipUri;
  try {
    hop = dstUri !== '' ? parseUri(dstUri) : dest !== undefined ? destToUri(dest) : parseUri(uri);
  } catch {
    return E_BAD_DEST;
  }
  // An IP literal (the usual R-URI / $du of a proxy) has one destination: no resolver, no cursor.
  let cursor: DnsCursor | null = null;
  let target: SendTarget | undefined = literalTarget(hop);
  if (target === undefined) {
    try {
      cursor = await locate(hop, tm.resolver);
      target = await cursor.next();
    } catch {
      return E_BAD_DEST;
    }
    if (target === undefined) return E_BAD_DEST;
  }
  const minorFlag = tm.cfg.minorFlag;
  const minor = minorFlag !== undefined && (bflags & ctx.host.flagMask(minorFlag)) !== 0;
  const noFailover = (flags & 4) !== 0 || tm.cfg.noDnsFailover;
  const finalUri = uri;
  const build: BranchBuilder = (socket, t, id) => buildOutgoingRequest(tm.core.hooks, bctx, { ruri: finalUri, socket, target: t, branch: id });
  // Captures the list names and the server, not the route context (it is released before the branch ends).
  const lists = bctx.blacklists;
  const host = bctx.host;
  const blocked = lists.length === 0 ? null : (t: SendTarget) => host.blacklists.matches(lists, t.proto, t.address, t.port);
  return startBranch(tm, cell, { uri, dstUri, flags: bflags, minor, build, dests: noFailover ? null : cursor, blocked }, target);
}

/** Sends a new branch to `target`, moving to the next destination while the transport refuses (RFC 3263 4.3). */
export async function startBranch(tm: Tm, cell: Cell, spec: BranchSpec, first: SendTarget): Promise<number> {
  let target: SendTarget | undefined = first;
  let err = E_SEND;
  while (target !== undefined) {
    // A CANCEL may have matched while the destination was resolved or branch_route ran: send nothing.
    if (cell.cancelled) return E_NO_DEST;
    const socket = tm.core.transport.findSocket(target.proto, addressFamily(target.address));
    if (spec.blocked?.(target) === true) {
      err = E_BLACKLISTED;
    } else if (socket === undefined) {
      err = E_BAD_DEST; // no listen socket for this protocol
    } else {
      const t = fromSocket(target, socket);
      const idx = cell.branches.length;
      const id = tm.branchId(cell, idx);
      const br = new Branch(idx, id, spec.uri, spec.dstUri, spec.flags, spec.minor, cell.isInvite, spec.build(socket, t, id), t, spec.dests, spec.build);
      br.blocked = spec.blocked ?? null;
      cell.branches.push(br);
      if (!tm.cfg.synBranch) tm.table.addBranch(cell, br);
      tm.fire(cell, 'TMCB_REQUEST_BUILT', undefined, 0, idx, undefined);
      if (await sendBranch(tm, cell, br, onBranchTimeout)) {
        tm.core.stats.fwd_requests.inc();
        tm.fire(cell, 'TMCB_REQUEST_FWDED', undefined, 0, idx, undefined);
        return 1;
      }
      // Never sent: out of the reply selection (no final code), kept only so branch indexes stay stable.
      stopBranchTimers(tm, br);
      br.state = 'terminated';
      err = E_SEND;
      if (cell.deleted) return err;
    }
    target = spec.dests === null ? undefined : await spec.dests.next();
  }
  return err;
}

/** Transaction-level failover (timeout without reply, or 503): a clone of the branch to the next address. */
export async function failover(tm: Tm, cell: Cell, br: Branch): Promise<boolean> {
  if (br.dests === null || br.build === null || cell.noNewBranches || cell.cancelled || cell.status >= 200 || cell.deleted) return false;
  const next = await br.dests.next();
  if (next === undefined) return false;
  cell.busy++;
  try {
    const rc = await startBranch(
      tm,
      cell,
      { uri: br.uri, dstUri: br.dstUri, flags: br.flags, minor: br.minor, build: br.build, dests: br.dests, blocked: br.blocked },
      next,
    );
    return rc > 0;
  } finally {
    cell.busy--;
  }
}

// ---- ACK and CANCEL ------------------------------------------------------------------------------

/**
 * The ACK of a request route: hop-by-hop (for our negative reply: absorbed, 'absorbed'), or end to end
 * (for a 2xx: TMCB_E2EACK_IN on its INVITE, returned so the caller can forward it).
 */
export function matchAck(tm: Tm, ctx: RouteContext): 'absorbed' | Cell | undefined {
  const msg = ctx.msg;
  let key: string;
  try {
    key = requestKey(msg, 'ACK', tm.cfg);
  } catch {
    return undefined;
  }
  const inv = tm.table.byKey(key);
  if (inv !== undefined && inv.status >= 300) {
    onAck(tm, inv);
    return 'absorbed';
  }
  const cell = tm.table.byDialog(dialogKey(msg.callId, msg.from.tag, msg.cseq.seq));
  // End to end only for an INVITE answered 2xx: an ACK for a negative reply that did not match hop by hop
  // (another R-URI or Via under RFC 2543 matching) belongs to no transaction.
  if (cell === undefined || cell.status < 200 || cell.status >= 300) return undefined;
  const st = tm.state(ctx);
  if (!st.e2eAckDone) {
    st.e2eAckDone = true;
    tm.fire(cell, 'TMCB_E2EACK_IN', undefined, 0, -1, ctx);
  }
  return cell;
}

async function relayAck(tm: Tm, ctx: RouteContext, dest: string | undefined): Promise<number> {
  if (matchAck(tm, ctx) === 'absorbed') return 0;
  // An end-to-end ACK is not part of any transaction (RFC 3261 17): forwarded statelessly.
  return ctx.forward(dest);
}

/**
 * A CANCEL: its own transaction answers 200 and the INVITE is cancelled. With no INVITE to cancel, the
 * CANCEL is forwarded statelessly like any request (RFC 3261 16.10), to `dest` or by its R-URI.
 */
async function relayCancel(tm: Tm, ctx: RouteContext, dest: string | undefined): Promise<number> {
  const msg = ctx.msg;
  let inviteKey: string;
  let cancelKey: string;
  try {
    inviteKey = requestKey(msg, 'INVITE', tm.cfg);
    cancelKey = requestKey(msg, 'CANCEL', tm.cfg);
  } catch {
    return E_BAD_MSG;
  }
  const inv = tm.table.byKey(inviteKey);
  if (inv === undefined && tm.table.byKey(cancelKey) === undefined && tm.state(ctx).cell === null) return ctx.forward(dest);
  const r = newTransaction(tm, ctx);
  if (r === 'retransmission') return 0;
  if (typeof r === 'number') return r;
  ctx.replied = true;
  if (inv === undefined) {
    replyLocal(tm, r, 481, 'Call/Transaction Does Not Exist');
    return 1;
  }
  replyLocal(tm, r, 200, 'OK');
  cancelInvite(tm, inv);
  return 1;
}
