/**
 * The tm instance of one server: configuration, the timer wheel, the transaction table, statistics and
 * callbacks, plus the lifecycle of a transaction (creation, completion, deletion after wt_timer).
 */
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { fnv1a, generateTag, type CoreServices, type RouteContext, type SendTarget } from '@core/sip';
type Logger = CoreServices['log'];
import type { TmCallback, TmcbType, TmCallbackParams } from './api.js';
import { Cell, type LocalSide } from './transaction/cell.js';
import type { Branch } from './transaction/branch.js';
import { TimerWheel } from './transaction/timer-wheel.js';
import { TransactionTable } from './transaction/transaction-table.js';
import { ReplyCache } from './transaction/reply-cache.js';
import { MAGIC } from './transaction/keys.js';
import { TmMsgState } from './msg-state.js';
import type { TmStats } from './stats.js';
import type { DnsResolver } from './dns-failover.js';
import type { TwAppend } from './write.js';
import { unwatchConnection } from './connections.js';

export interface TmConfig {
  T1: number;
  T2: number;
  T4: number;
  frMs: number;
  frInvMs: number;
  wtMs: number;
  deleteMs: number;
  ruriMatching: boolean;
  via1Matching: boolean;
  restartFr: boolean;
  frAvp: string | null;
  frInvAvp: string | null;
  synBranch: boolean;
  onreplyAvpShared: boolean;
  disable6xxBlock: boolean;
  minorFlag: number | string | undefined;
  noDnsFailover: boolean;
  unixTimeoutMs: number;
  twAppend: ReadonlyMap<string, TwAppend>;
  passProvisional: boolean;
}

export class Tm {
  readonly wheel: TimerWheel;
  readonly table = new TransactionTable();
  /** Final replies of freed non-INVITE UDP transactions, until 64·T1 (timer J). */
  readonly replyCache: ReplyCache;
  readonly resolver: DnsResolver;
  /** Per-process part of synonym branch ids, so ours are recognisable and differ from another instance's. */
  readonly branchPrefix = randomBytes(4).toString('hex');
  readonly globalCbs: TmCallback[] = [];
  /** Transactions with a pending branch sent on each TCP/TLS connection (see connections.ts). */
  readonly byConn = new Map<number, Set<Cell>>();
  #started = false;

  constructor(
    readonly cfg: TmConfig,
    readonly core: CoreServices,
    readonly log: Logger,
    readonly stats: TmStats,
    readonly slot: number,
    dnsServers: string,
  ) {
    this.wheel = new TimerWheel(log, (err, timer) => core.caught('timer callback', err, null, { module: 'tm', timer }));
    this.replyCache = new ReplyCache(this.wheel);
    const r = new Resolver({ timeout: 2000, tries: 2 });
    if (dnsServers !== '') r.setServers(dnsServers.split(',').map((s) => s.trim()));
    this.resolver = r;
  }

  start(): void {
    this.#started = true;
  }
  stop(): void {
    this.#started = false;
    this.replyCache.clear();
    this.wheel.stop();
    for (const c of [...this.table.cells()]) this.table.remove(c);
    this.byConn.clear();
  }
  get running(): boolean {
    return this.#started;
  }

  state(ctx: RouteContext): TmMsgState {
    let s = ctx.slots[this.slot] as TmMsgState | undefined;
    if (s === undefined) {
      s = new TmMsgState();
      ctx.slots[this.slot] = s;
    }
    return s;
  }

  // ---- transactions ----------------------------------------------------------------------------

  newCell(method: string, req: Cell['request'], key: string | null, rinfo: Cell['rinfo'], local: LocalSide | null, ctx: RouteContext | null): Cell {
    const hash = fnv1a(key ?? req.callId) & 0xffff;
    const { frMs, frInvMs } = this.#timeouts(ctx);
    const cell = new Cell(hash, this.table.nextLabel(), method, req, key, rinfo, generateTag(), frMs, frInvMs, local);
    cell.ctx = ctx;
    this.table.insert(cell);
    return cell;
  }

  /** fr_timer / fr_inv_timer, overridden per transaction by fr_timer_avp / fr_inv_timer_avp (seconds). */
  #timeouts(ctx: RouteContext | null): { frMs: number; frInvMs: number } {
    let frMs = this.cfg.frMs;
    let frInvMs = this.cfg.frInvMs;
    if (ctx !== null) {
      const a = this.cfg.frAvp !== null ? Number(ctx.avp(this.cfg.frAvp)) : NaN;
      if (Number.isFinite(a) && a > 0) frMs = a * 1000;
      const b = this.cfg.frInvAvp !== null ? Number(ctx.avp(this.cfg.frInvAvp)) : NaN;
      if (Number.isFinite(b) && b > 0) frInvMs = b * 1000;
    }
    return { frMs, frInvMs };
  }

  /** Re-reads the AVP timeouts (t_relay in failure_route may have changed them). */
  refreshTimeouts(cell: Cell, ctx: RouteContext): void {
    const t = this.#timeouts(ctx);
    cell.frMs = t.frMs;
    cell.frInvMs = t.frInvMs;
  }

  /** Our Via branch for branch `idx`: synonym (hash.label.idx) or random, per syn_branch. */
  branchId(cell: Cell, idx: number): string {
    if (this.cfg.synBranch) return `${MAGIC}${this.branchPrefix}${cell.hashIndex.toString(16)}.${cell.label.toString(16)}.${idx}`;
    return `${MAGIC}${randomBytes(10).toString('hex')}.${idx}`;
  }

  /** The branch a reply's top Via branch names, if it is one of ours and still known. */
  findBranch(id: string): { cell: Cell; br: Branch } | undefined {
    if (this.cfg.synBranch) {
      const p = MAGIC.length + 8;
      if (!id.startsWith(this.branchPrefix, MAGIC.length)) return undefined;
      const d1 = id.indexOf('.', p);
      const d2 = d1 < 0 ? -1 : id.indexOf('.', d1 + 1);
      if (d2 < 0) return undefined;
      const cell = this.table.byId(`${parseInt(id.slice(p, d1), 16)}:${parseInt(id.slice(d1 + 1, d2), 16)}`);
      const br = cell?.branches[Number(id.slice(d2 + 1))];
      return cell !== undefined && br !== undefined && br.id === id ? { cell, br } : undefined;
    }
    return this.table.byBranch(id);
  }

  // ---- sending -----------------------------------------------------------------------------------

  /**
   * Sends without waiting (replies, retransmissions, ACK, CANCEL): through CoreTransport.post, so a UDP
   * datagram costs no Promise; a refusal over TCP/TLS is logged at debug by the core.
   */
  send(target: SendTarget, buf: Buffer): void {
    this.core.transport.post(target, buf);
  }

  /** Sends; resolves to the TCP/TLS connection id used (undefined over UDP), false (logged) when refused. */
  sendOn(target: SendTarget, buf: Buffer, what: string): Promise<number | undefined | false> {
    return this.core.transport.send(target, buf).then(undefined, (err: unknown) => {
      this.#sendFailed(err, what, target);
      return false as const;
    });
  }

  #sendFailed(err: unknown, what: string, target: SendTarget): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ err, what, to: `${target.proto}:${target.address}:${target.port}` }, 'tm send failed');
  }

  // ---- callbacks ---------------------------------------------------------------------------------

  registerCb(cell: Cell, types: readonly TmcbType[], cb: TmCallback): void {
    (cell.cbs ??= []).push({ types: new Set(types), cb });
  }

  /** Runs the callbacks registered for `type`; the params object is made only when one is registered. */
  fire(cell: Cell, type: TmcbType, rpl: TmCallbackParams['rpl'], code: number, branch: number, ctx: TmCallbackParams['ctx']): void {
    const cbs = type === 'TMCB_REQUEST_IN' ? null : cell.cbs;
    const globals = type === 'TMCB_REQUEST_IN' ? this.globalCbs : null;
    if ((cbs === null || cbs.length === 0) && (globals === null || globals.length === 0)) return;
    const params: TmCallbackParams = { t: cell, req: cell.request, rpl, code, branch, ctx };
    if (globals !== null) for (const cb of globals) this.#call(cb, type, params);
    if (cbs !== null) for (const c of cbs) if (c.types.has(type)) this.#call(c.cb, type, params);
  }

  #call(cb: TmCallback, type: TmcbType, p: TmCallbackParams): void {
    try {
      cb(type, p);
    } catch (err) {
      this.core.caught('tm callback', err, p.rpl ?? p.req, { type, t: p.t.id });
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /**
   * Schedules the deletion (wt_timer) once nothing is left to wait for: the server side answered and
   * acknowledged (or the local outcome is out) and no branch is pending.
   */
  checkDone(cell: Cell): void {
    if (cell.deleted || cell.waitTimer !== null) return;
    if (cell.pendingBranches > 0) return;
    if (cell.local !== null ? !cell.local.done : !serverDone(cell)) return;
    this.#releaseForWait(cell);
    cell.waitTimer = this.wheel.schedule('wt_timer', this.cfg.wtMs, () => {
      cell.waitTimer = null;
      this.delete(cell);
    });
  }

  /**
   * What the wait phase no longer needs, dropped now rather than after wt_timer (every transaction spends
   * 5 s there by default, so this is most of tm's heap under load): the branches' final replies (reply
   * selection is over), their builders (no failover once nothing is pending; they hold the branch_route
   * context) and the request's route context (no route runs in the wait phase: a late 2xx is relayed
   * statelessly, RFC 6026 7.2, and retransmitted finals are absorbed or ACKed).
   * The request itself stays (TMCB callbacks and local replies read it until the transaction is freed) but
   * forgets the header objects decoded while it was routed; a later read decodes again.
   */
  #releaseForWait(cell: Cell): void {
    for (const b of cell.branches) {
      b.final = undefined;
      b.build = null;
      b.dests = null;
      b.blocked = null;
    }
    cell.ctx = null;
    cell.request.dropCaches();
  }

  /**
   * Timer J: a non-INVITE server transaction over UDP leaves its final reply until 64·T1 after it was sent
   * (it was freed wt_timer after that, so for the rest).
   */
  #keepReply(cell: Cell): void {
    const t = cell.replyTarget;
    if (cell.key === null || cell.isInvite || cell.local !== null || cell.status < 200 || cell.lastReply === null || t === null || t.proto !== 'udp') return;
    this.replyCache.add(cell.key, cell.lastReply, t, 64 * this.cfg.T1 - this.cfg.wtMs);
  }

  /** Frees a transaction; retried after delete_timer while a route still uses it. */
  delete(cell: Cell): void {
    if (cell.deleted) return;
    if (cell.refs > 0) {
      this.wheel.cancel(cell.waitTimer);
      cell.waitTimer = this.wheel.schedule('delete_timer', this.cfg.deleteMs, () => {
        cell.waitTimer = null;
        this.delete(cell);
      });
      return;
    }
    cell.deleted = true;
    const w = this.wheel;
    cell.retrTimer = w.cancel(cell.retrTimer);
    cell.waitTimer = w.cancel(cell.waitTimer);
    cell.guardTimer = w.cancel(cell.guardTimer);
    for (const b of cell.branches) {
      b.retrTimer = w.cancel(b.retrTimer);
      b.frTimer = w.cancel(b.frTimer);
      b.cancelTimer = w.cancel(b.cancelTimer);
      if (b.connId !== undefined) unwatchConnection(this, cell, b.connId);
    }
    this.table.remove(cell);
    this.#keepReply(cell);
    this.fire(cell, 'TMCB_TRANS_DELETED', undefined, cell.status, -1, undefined);
    cell.ctx = null;
  }
}

/** The server side needs nothing more: final reply sent and, for a negative INVITE reply, ACKed (or timer H). */
function serverDone(cell: Cell): boolean {
  if (cell.replyTarget === null) return true; // t_replicate: nobody upstream waits for a reply
  switch (cell.state) {
    case 'trying':
    case 'proceeding':
      return false;
    case 'completed':
      return !cell.isInvite;
    case 'confirmed':
      return false; // timer I ends it
    case 'accepted':
      return !cell.awaitingAck; // our 2xx is retransmitted until its ACK
    case 'terminated':
      return true;
    default: {
      const never: never = cell.state;
      return never;
    }
  }
}
