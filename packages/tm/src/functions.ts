/**
 * tm script functions, OpenSIPS names and return codes. Pseudo-variables are functions here:
 * `$T_branch_idx` is `ctx.T_branch_idx()`, `$T_reply_code` is `ctx.T_reply_code()`.
 * Tests return 1 (true) or -1 (false), as in OpenSIPS: write `if (ctx.t_check_status('487') > 0)`.
 * A function returning 0 in OpenSIPS ends the script: t_relay/t_newtran/t_check_trans on a
 * retransmission do so here too (they call `exit`).
 */
import type { RouteContext, ScriptFunctionSpec } from '@core/sip';
import type { Tm } from './tm.js';
import { addBlindUac, forward, matchAck, newTransaction, relayArgs, resendCachedReply, tRelay } from './relay.js';
import { replyLocal } from './transaction/server.js';
import { onRequestRetransmission } from './transaction/server.js';
import { requestKey } from './transaction/keys.js';
import { cancelAll, cancelBranch } from './cancel.js';
import { deriveContext } from './derive.js';
import { formatWrite, writeFifo } from './write.js';
import { sendUnixDgram } from './unix-dgram.js';

declare module '@core/sip' {
  interface RouteContext {
    /** Creates the transaction now; 1, or the script ends on a retransmission; -1 on error. */
    t_newtran(): number;
    /** `t_relay([flags])` or `t_relay("proto:host:port"[, flags])`: 1, or -1…-6 (see the tm doc). */
    t_relay(destOrFlags?: string | number, flags?: string | number): Promise<number>;
    t_reply(code: number | string, reason?: string): number;
    t_replicate(uri: string, flags?: string | number): Promise<number>;
    t_check_status(re: string | RegExp): number;
    t_flush_flags(): number;
    t_local_replied(which: 'all' | 'last'): number;
    t_write_req(info: string, fifo: string): Promise<number>;
    t_write_unix(info: string, sock: string): Promise<number>;
    t_check_trans(): number;
    t_was_cancelled(): number;
    t_cancel_branch(): number;
    t_cancel_call(): number;
    t_on_failure(route: string): number;
    t_on_reply(route: string): number;
    t_on_branch(route: string): number;
    setbflag(flag: number | string, branch?: number): number;
    resetbflag(flag: number | string, branch?: number): number;
    isbflagset(flag: number | string, branch?: number): number;
    /** `$T_branch_idx`: the branch in hand (branch/onreply/failure routes), null elsewhere. */
    T_branch_idx(): number | null;
    /** `$T_reply_code`: last reply sent (request route), the reply (onreply), the winning reply (failure); 0 for none. */
    T_reply_code(): number;
  }
}

type Fn = ScriptFunctionSpec<Tm>;
const REQ_FAIL = ['request', 'failure'] as const;
const ARM = ['request', 'branch', 'onreply', 'failure'] as const;

const reCache = new Map<string, RegExp>();
function regex(re: string | RegExp): RegExp {
  if (typeof re !== 'string') return re;
  let r = reCache.get(re);
  if (r === undefined) {
    r = new RegExp(re);
    if (reCache.size < 1000) reCache.set(re, r);
  }
  return r;
}

function replyCode(tm: Tm, ctx: RouteContext): number {
  const st = tm.state(ctx);
  if (ctx.routeType === 'onreply') return ctx.msg.status;
  if (ctx.routeType === 'failure') return st.replyCode;
  return st.cell?.lastReplyCode ?? 0;
}

/** Branch flags: of the branch in hand, or of branch `idx` of the set (0 is the R-URI). */
function bflagTarget(tm: Tm, ctx: RouteContext, idx: number | undefined): { get(): number; set(v: number): void } {
  const st = tm.state(ctx);
  if (idx === undefined || idx === 0) return { get: () => st.bflags, set: (v) => (st.bflags = v) };
  const b = ctx.branches[idx - 1];
  if (b === undefined) throw new RangeError(`branch ${idx} does not exist`);
  return { get: () => b.flags, set: (v) => (b.flags = v) };
}

function arm(tm: Tm, ctx: RouteContext, which: 'onFailure' | 'onReply' | 'onBranch', name: string): number {
  const st = tm.state(ctx);
  st[which] = name;
  if (st.cell !== null) st.cell[which] = name;
  return 1;
}

/** t_write_* hand the request to an application that answers through MI t_reply: it needs the transaction. */
function noTransaction(tm: Tm, fn: string): number {
  tm.log.warn(`${fn}: no transaction for the request (call t_newtran first)`);
  return -1;
}

export const functions: Record<string, Fn> = {
  t_newtran: {
    routes: ['request'],
    help: 'Creates the transaction of the request now',
    handler(tm, ctx) {
      const r = newTransaction(tm, ctx);
      if (r === 'retransmission') ctx.exit();
      return typeof r === 'number' ? r : 1;
    },
  },
  t_relay: {
    routes: REQ_FAIL,
    help: 'Relays the request statefully (flags 0x1 no 100, 0x2 no error reply, 0x4 no DNS failover)',
    async handler(tm, ctx, a?: string | number, b?: string | number) {
      const { dest, flags } = relayArgs(a, b);
      const rc = await tRelay(tm, ctx, dest, flags);
      if (rc === 0) ctx.exit();
      return rc;
    },
  },
  t_reply: {
    routes: REQ_FAIL,
    help: 'Stateful reply (creates the transaction when needed)',
    handler(tm, ctx, code: number | string, reason?: string) {
      const c = Number(code);
      if (!Number.isInteger(c) || c < 100 || c > 699) return -1;
      const r = newTransaction(tm, ctx);
      if (r === 'retransmission') ctx.exit(); // answered by the transaction: 0 in OpenSIPS, the script stops
      if (typeof r !== 'object') return -1;
      if (!replyLocal(tm, r, c, reason)) return -1;
      ctx.replied = true;
      return 1;
    },
  },
  t_replicate: {
    routes: ['request'],
    help: 'Sends a copy of the request to another destination; its replies are not relayed',
    async handler(tm, ctx, uri: string, flags?: string | number) {
      const f = relayArgs(flags).flags & 4;
      const msg = ctx.msg;
      const cell = tm.newCell(msg.method, msg, null, ctx.rinfo, null, ctx);
      tm.stats.uas.inc();
      const c = deriveContext(tm, cell, 'request', msg, ctx.rinfo, ctx, true);
      c.$ru = uri;
      c.branches = ctx.branches;
      ctx.branches = []; // consumed by the copy, as t_relay consumes them: the call itself goes to $ru only
      const rc = await forward(tm, cell, c, undefined, f);
      if (rc < 0) {
        cell.state = 'terminated';
        tm.delete(cell);
      }
      return rc;
    },
  },
  t_check_status: {
    routes: ['request', 'onreply', 'failure', 'branch'],
    help: 'Matches the reply code against a regular expression',
    handler: (tm, ctx, re: string | RegExp) => (regex(re).test(String(replyCode(tm, ctx))) ? 1 : -1),
  },
  t_flush_flags: {
    routes: ['request', 'branch'],
    help: 'Copies the message flags into the transaction',
    handler(tm, ctx) {
      const cell = tm.state(ctx).cell;
      if (cell === null) return -1;
      cell.flags = ctx.flags;
      return 1;
    },
  },
  t_local_replied: {
    routes: ['request', 'branch', 'failure', 'onreply'],
    help: "'all': no branch received any reply; 'last': the last reply (failure_route: the winning one) was generated here",
    handler(tm, ctx, which: 'all' | 'last') {
      const st = tm.state(ctx);
      const cell = st.cell;
      if (cell === null) return -1;
      if (which === 'all') return cell.branches.some((b) => b.code !== 0) ? -1 : 1;
      if (which === 'last') {
        if (ctx.routeType === 'failure') return cell.branches[st.branchIdx ?? -1]?.localFinal === true ? 1 : -1;
        return cell.repliesSent > 0 && cell.lastReplyLocal ? 1 : -1;
      }
      throw new TypeError(`t_local_replied: "${String(which)}" is not "all" or "last"`);
    },
  },
  t_write_req: {
    routes: ['request', 'failure', 'branch'],
    help: 'Writes the request and tw_append data to a FIFO',
    async handler(tm, ctx, info: string, fifo: string) {
      const cell = tm.state(ctx).cell;
      if (cell === null) return noTransaction(tm, 't_write_req');
      try {
        await writeFifo(fifo, formatWrite(ctx, cell, info, tm.cfg.twAppend));
        addBlindUac(tm, cell);
        return 1;
      } catch (err) {
        tm.log.warn({ err, fifo }, 't_write_req failed');
        return -1;
      }
    },
  },
  t_write_unix: {
    routes: ['request', 'failure', 'branch'],
    help: 'Sends the request and tw_append data to a unix socket',
    async handler(tm, ctx, info: string, sock: string) {
      const cell = tm.state(ctx).cell;
      if (cell === null) return noTransaction(tm, 't_write_unix');
      try {
        await sendUnixDgram(sock, Buffer.from(formatWrite(ctx, cell, info, tm.cfg.twAppend)), tm.cfg.unixTimeoutMs);
        addBlindUac(tm, cell);
        return 1;
      } catch (err) {
        tm.log.warn({ err, sock }, 't_write_unix failed');
        return -1;
      }
    },
  },
  t_check_trans: {
    routes: ['request', 'branch'],
    help: 'Is the request part of a known transaction (retransmissions are handled and end the script)',
    handler(tm, ctx) {
      const msg = ctx.msg;
      try {
        if (msg.method === 'CANCEL') return tm.table.byKey(requestKey(msg, 'INVITE', tm.cfg)) !== undefined ? 1 : -1;
        // The request's own transaction (t_newtran ran on it): known, not a retransmission.
        if (tm.state(ctx).cell !== null) return 1;
        // An ACK that matches is true, hop by hop (absorbed: its INVITE stops retransmitting) or end to end.
        if (msg.method === 'ACK') return matchAck(tm, ctx) !== undefined ? 1 : -1;
        const key = requestKey(msg, msg.method, tm.cfg);
        const cell = tm.table.byKey(key);
        if (cell === undefined) return resendCachedReply(tm, key) ? ctx.exit() : -1;
        onRequestRetransmission(tm, cell);
      } catch (err) {
        if (err instanceof Error && err.name === 'SipParseError') return -1;
        throw err;
      }
      return ctx.exit();
    },
  },
  t_was_cancelled: {
    routes: ['onreply', 'failure'],
    help: 'True when a CANCEL matched the INVITE',
    handler: (tm, ctx) => (tm.state(ctx).cell?.cancelled === true ? 1 : -1),
  },
  t_cancel_branch: {
    routes: ['onreply'],
    help: 'CANCELs the branch of the reply being processed',
    handler(tm, ctx) {
      const st = tm.state(ctx);
      const br = st.cell?.branches[st.branchIdx ?? -1];
      if (st.cell === null || br === undefined) return -1;
      cancelBranch(tm, st.cell, br);
      return 1;
    },
  },
  t_cancel_call: {
    routes: ['onreply'],
    help: 'CANCELs every pending branch',
    handler(tm, ctx) {
      const cell = tm.state(ctx).cell;
      if (cell === null) return -1;
      cancelAll(tm, cell);
      return 1;
    },
  },
  t_on_failure: { routes: ARM, help: 'Arms a failure_route', handler: (tm, ctx, name: string) => arm(tm, ctx, 'onFailure', name) },
  t_on_reply: { routes: ARM, help: 'Arms an onreply_route', handler: (tm, ctx, name: string) => arm(tm, ctx, 'onReply', name) },
  t_on_branch: { routes: ARM, help: 'Arms a branch_route', handler: (tm, ctx, name: string) => arm(tm, ctx, 'onBranch', name) },
  setbflag: {
    help: 'Sets a branch flag',
    handler(tm, ctx, flag: number | string, idx?: number) {
      const t = bflagTarget(tm, ctx, idx);
      t.set(t.get() | ctx.host.flagMask(flag));
      return 1;
    },
  },
  resetbflag: {
    help: 'Resets a branch flag',
    handler(tm, ctx, flag: number | string, idx?: number) {
      const t = bflagTarget(tm, ctx, idx);
      t.set(t.get() & ~ctx.host.flagMask(flag));
      return 1;
    },
  },
  isbflagset: {
    help: 'Tests a branch flag',
    handler: (tm, ctx, flag: number | string, idx?: number) => ((bflagTarget(tm, ctx, idx).get() & ctx.host.flagMask(flag)) !== 0 ? 1 : -1),
  },
  T_branch_idx: { help: '$T_branch_idx', handler: (tm, ctx) => tm.state(ctx).branchIdx as number },
  T_reply_code: { help: '$T_reply_code', handler: (tm, ctx) => replyCode(tm, ctx) },
};
