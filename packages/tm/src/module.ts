/**
 * tm: stateful SIP processing, as the OpenSIPS tm module: transactions (RFC 3261 17), stateful relay and
 * forking (16), CANCEL, failure/onreply/branch routes, DNS failover (RFC 3263), the UAC side for modules,
 * MI t_uac_dlg / t_uac_cancel / t_reply and the tm statistics.
 */
import { defineModule } from '@core/sip';
import type { TmApi, Transaction } from './api.js';
import { tmParams } from './params.js';
import { tmStats, TmStats } from './stats.js';
import { Tm } from './tm.js';
import { Cell } from './transaction/cell.js';
import { functions } from './functions.js';
import { mi } from './mi.js';
import { onReplyIn } from './reply-in.js';
import { onAckIn } from './ack-in.js';
import { onConnectionClosed } from './connections.js';
import { newTransaction, tRelay } from './relay.js';
import { replyLocal } from './transaction/server.js';
import { uacRequest, uacSendAck } from './uac.js';
import { cancelAll } from './cancel.js';
import { requestKey } from './transaction/keys.js';
import { parseTwAppend } from './write.js';

/** `$avp(name)` or `name` → the AVP name; '' / NULL disables the feature. */
function avpName(s: string): string | null {
  const t = s.trim();
  if (t === '' || t.toUpperCase() === 'NULL') return null;
  const m = /^\$avp\((.+)\)$/.exec(t);
  return m !== null ? (m[1] as string) : t;
}

function cellOf(t: Transaction): Cell {
  if (!(t instanceof Cell)) throw new TypeError('not a tm transaction');
  return t;
}

export default defineModule({
  name: 'tm',
  version: '0.1.0',
  description: 'SIP transactions, stateful relay and forking, UAC API (RFC 3261 16-17, RFC 3263, RFC 6026)',
  params: tmParams,
  stats: tmStats,
  init(ctx): Tm {
    const p = ctx.params;
    const tm = new Tm(
      {
        T1: p.T1_timer,
        T2: p.T2_timer,
        T4: p.T4_timer,
        frMs: p.fr_timer * 1000,
        frInvMs: p.fr_inv_timer * 1000,
        wtMs: p.wt_timer * 1000,
        deleteMs: p.delete_timer * 1000,
        ruriMatching: p.ruri_matching === 1,
        via1Matching: p.via1_matching === 1,
        restartFr: p.restart_fr_on_each_reply === 1,
        frAvp: avpName(p.fr_timer_avp),
        frInvAvp: avpName(p.fr_inv_timer_avp),
        synBranch: p.syn_branch === 1,
        onreplyAvpShared: p.onreply_avp_mode === 1,
        disable6xxBlock: p.disable_6xx_block === 1,
        minorFlag: p.minor_branch_flag,
        // A core param in OpenSIPS; tm's own modparam of the same name is kept for configs that set it there.
        noDnsFailover: p.disable_dns_failover === 1 || ctx.core.disableDnsFailover,
        unixTimeoutMs: p.unix_tx_timeout * 1000,
        twAppend: parseTwAppend(p.tw_append),
        passProvisional: p.pass_provisional_replies === 1,
      },
      ctx.core,
      ctx.log,
      new TmStats(ctx.stats, p.enable_stats === 1),
      ctx.core.registerSlot(),
      p.dns_servers,
    );
    ctx.core.hooks.onReplyIn((msg, rinfo) => onReplyIn(tm, msg, rinfo));
    ctx.core.hooks.onRequestIn((msg) => onAckIn(tm, msg));
    ctx.core.hooks.onConnectionClose((c) => onConnectionClosed(tm, c.id));
    ctx.stats.registry.computed('tm', 'inuse_transactions', 'Transactions in memory', () => tm.table.size);
    return tm;
  },
  api(tm): TmApi {
    return {
      registerTmcb(types, cb, t) {
        const list = typeof types === 'string' ? [types] : types;
        if (t !== undefined) {
          tm.registerCb(cellOf(t), list, cb);
          return;
        }
        if (list.some((x) => x !== 'TMCB_REQUEST_IN')) throw new TypeError('registerTmcb: only TMCB_REQUEST_IN can be registered without a transaction');
        if (tm.running) throw new TypeError('registerTmcb: global callbacks are registered during init');
        tm.globalCbs.push(cb);
      },
      getTransaction: (ctx) => tm.state(ctx).cell ?? undefined,
      newTransaction: (ctx) => typeof newTransaction(tm, ctx) === 'object',
      relay: (ctx, o) => tRelay(tm, ctx, o?.dest, o?.flags ?? 0),
      reply(ctx, code, reason, o) {
        const r = newTransaction(tm, ctx);
        if (typeof r !== 'object') return -1;
        if (!replyLocal(tm, r, code, reason, o)) return -1;
        ctx.replied = true;
        return 1;
      },
      replyTransaction: (t, code, reason, o) => (replyLocal(tm, cellOf(t), code, reason, o) ? 1 : -1),
      request: (req, cb) => uacRequest(tm, req, cb),
      sendAck: (h, ok, o) => uacSendAck(tm, cellOf(h.transaction), ok, o),
      cancelTransaction: (t) => cancelAll(tm, cellOf(t)),
      lookup: (id) => tm.table.byId(id),
      getPickedBranch: (t) => cellOf(t).picked,
      getBranchReply: (t, idx) => cellOf(t).branches[idx]?.final,
      lookupOriginal(ctx) {
        const msg = ctx.msg;
        if (!msg.isRequest || msg.method !== 'CANCEL') return undefined;
        try {
          return tm.table.byKey(requestKey(msg, 'INVITE', tm.cfg));
        } catch {
          return undefined; // a CANCEL too broken to match
        }
      },
      setReplyOps(t, ops) {
        cellOf(t).replyOps = ops.length === 0 ? null : ops.slice();
      },
    };
  },
  functions,
  mi,
  start(tm) {
    tm.start();
  },
  stop(tm) {
    tm.stop();
  },
});
