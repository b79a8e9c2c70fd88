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
export const E_SEND = -6;

const ERROR_REPLY: Record<number, [number, string]> = {
  [E_INTERNAL]: [500, 'Server Internal Error'],
  [E_BAD_MSG]: [400, 'Bad Request'],
  [E_NO_DEST]: [500, 'No destination available'],
  [E_BAD_DEST]: [478, 'Unresolvable destination'],
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
  if (msg.method === 'CANCEL') return relayCancel(tm, ctx);
  const r = newTransaction(tm, ctx, false);
  if (r === 'retransmission') return 0;
  if (typeof r === 'number') return r;
  const cell = r;
  if (cell.branches.length > 0) return E_INTERNAL; // relayed already
  cell.relayFlags = flags;
  cell.flags = ctx.flags;
  tm.refreshTimeouts(cell, ctx);
  if (cell.isInvite && (flags & 1) === 0 && cell.lastReplyCode === 0) replyLocal(tm, cell, 100, 'Trying');
  let rc: number = E_INTERNAL;
  try {
    rc = await forward(tm, cell, ctx, dest, flags);
    if (rc > 0) {
      ctx.forwarded = true;
    } else if ((flags & 2) === 0 && cell.status < 200) {
      const [code, reason] = ERROR_REPLY[rc] ?? [500, 'Server Internal Error'];
      if (replyLocal(tm, cell, code, reason)) ctx.replied = true;
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

async function createBranch(tm: Tm, cell: Cell, ctx: RouteContext, uri: string, dstUri: string, bflags: number, dest: string | undefined, flags: number): Promise<number> {
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
  return startBranch(tm, cell, { uri, dstUri, flags: bflags, minor, build, dests: noFailover ? null : cursor }, target);
}

/** Sends a new branch to `target`, moving to the next destination while the transport refuses (RFC 3263 4.3). */
export async function startBranch(tm: Tm, cell: Cell, spec: BranchSpec, first: SendTarget): Promise<number> {
  let target: SendTarget | undefined = first;
  let err = E_SEND;
  while (target !== undefined) {
    const socket = tm.core.transport.findSocket(target.proto, addressFamily(target.address));
    if (socket === undefined) {
      err = E_BAD_DEST; // no listen socket for this protocol
    } else {
      const t = fromSocket(target, socket);
      const idx = cell.branches.length;
      const id = tm.branchId(cell, idx);
      const br = new Branch(idx, id, spec.uri, spec.dstUri, spec.flags, spec.minor, cell.isInvite, spec.build(socket, t, id), t, spec.dests, spec.build);
      cell.branches.push(br);
      if (!tm.cfg.synBranch) tm.table.addBranch(cell, br);
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
    const rc = await startBranch(tm, cell, { uri: br.uri, dstUri: br.dstUri, flags: br.flags, minor: br.minor, build: br.build, dests: br.dests }, next);
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

/** A CANCEL: its own transaction answers 200 (481 when no INVITE matches) and the INVITE is cancelled. */
function relayCancel(tm: Tm, ctx: RouteContext): number {
  const msg = ctx.msg;
  let inviteKey: string;
  try {
    inviteKey = requestKey(msg, 'INVITE', tm.cfg);
  } catch {
    return E_BAD_MSG;
  }
  const r = newTransaction(tm, ctx);
  if (r === 'retransmission') return 0;
  if (typeof r === 'number') return r;
  const inv = tm.table.byKey(inviteKey);
  ctx.replied = true;
  if (inv === undefined) {
    replyLocal(tm, r, 481, 'Call/Transaction Does Not Exist');
    return 1;
  }
  replyLocal(tm, r, 200, 'OK');
  cancelInvite(tm, inv);
  return 1;
}
