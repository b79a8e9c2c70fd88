/**
 * The dialog engine: creates dialogs on initial INVITEs, follows them through tm's callbacks on the INVITE
 * transaction, matches in-dialog requests, runs the dialog callbacks, and ends dialogs (BYE, failure,
 * timeout, termination). Everything the module's functions, API and MI do goes through here.
 */
import type { Counter, EventRegistry, Gauge, ModuleContext, RouteContext, SipMessage, Slots } from '@core/sip';
import { ownString } from '@core/sip';
import type { TmApi, TmCallbackParams, TmcbType, Transaction, UacHandle, UacOutcome } from '@mod/tm';
import type { RrApi } from '@mod/rr';
import { DIRTY, DLG_FLAG, Dlg } from './dialog.js';
import { DlgState, nextState, type DlgEvent } from './state.js';
import { DLGCB, DLG_DIR, GLOBAL_ONLY, cbName, validCbTypes, type DialogCb, type DlgCbEntry, type DlgDir, type ParamFreeCb } from './callbacks.js';
import { DlgTable } from './table.js';
import { Profiles } from './profiles.js';
import type { DlgStore } from './db.js';
import { callerRouteSet, calleeRouteSet, contactOf, contactOfSocket, nameAddr, paramValue, routeList, sdpOf, uriOfHeaderValue } from './sip-util.js';
import { nextLocalCseq, relayedCseq } from './cseq.js';

type Logger = ModuleContext['log'];

/** What a route context knows about its message's dialog (a per-message slot). */
export class MsgDlg {
  constructor(
    readonly dlg: Dlg,
    /** Direction of the message: downstream when it comes from the caller. */
    readonly dir: DlgDir,
    /** The message is the initial INVITE that created the dialog. */
    readonly created: boolean,
    /** CSeq the sender had used before this request (validate_dialog checks it grew). */
    readonly prevCseq: number,
  ) {}
  /** The request was relayed renumbered (cseq.ts): its own CSeq value (`<number> <method>`), restored on replies. */
  replyCseq: string | null = null;
}

export interface EngineConfig {
  hashSize: number;
  /** Name of the Record-Route param carrying the dialog id (rr_param). */
  rrParam: string;
  defaultTimeout: number;
  matchMode: 0 | 1 | 2;
  pingInterval: number;
  pingMaxFailures: number;
  /** reinvite_ping_interval, seconds. */
  reinvitePingInterval: number;
  /** delete_delay in ms. */
  deleteDelayMs: number;
  /** dlg_extra_hdrs, parsed: added to the BYEs we send. */
  extraHdrs: readonly [string, string][];
}

/** $DLG_end_reason values, as OpenSIPS words them. */
export const END_REASON = {
  UPSTREAM_BYE: 'Upstream BYE',
  DOWNSTREAM_BYE: 'Downstream BYE',
  LIFETIME: 'Lifetime Timeout',
  MI: 'MI Termination',
  PING: 'Ping Timeout',
  REINVITE_PING: 'ReINVITE Ping Timeout',
  API: 'API Termination',
} as const;

const PING_FLAGS = DLG_FLAG.PING_CALLER | DLG_FLAG.PING_CALLEE;
const REINVITE_FLAGS = DLG_FLAG.REINVITE_PING_CALLER | DLG_FLAG.REINVITE_PING_CALLEE;

export interface EngineDeps {
  log: Logger;
  tm: TmApi;
  rr: RrApi;
  events: EventRegistry;
  msgSlot: number;
  dlgSlots: Slots<Dlg>;
  /** A plain function (passed on to calleeRouteSet as it is). */
  readonly isMyself: (host: string, port?: number) => boolean;
  /** CoreServices.caught: errors of timer bodies and background promises, counted and logged; never throws. */
  caught(what: string, err: unknown, msg?: SipMessage | null, fields?: Readonly<Record<string, unknown>>): void;
  stats: {
    active: Gauge;
    early: Gauge;
    processed: Counter;
    expired: Counter;
    failed: Counter;
  };
}

/**
 * What dialog clustering (replication.ts) needs from the engine's hot spots: every persistent change, and
 * whether this node must leave a dialog's pings, timeout BYEs and deletes to the node holding its tag.
 */
export interface EngineCluster {
  changed(d: Dlg): void;
  passive(d: Dlg): boolean;
}

/** A passive dialog past its timeout is looked at again this often (its tag may come here). */
const PASSIVE_RECHECK_MS = 500;

const MAX_TIMER_MS = 0x7fff_ffff;

export class DialogEngine {
  readonly table: DlgTable;
  readonly profiles: Profiles;
  store: DlgStore | null = null;
  /** Set when dialog_replication_cluster is (replication.ts). */
  cluster: EngineCluster | null = null;
  readonly #cfg: EngineConfig;
  readonly #d: EngineDeps;
  readonly #log: Logger;
  readonly #createdCbs: DlgCbEntry[] = [];
  readonly #loadedCbs: DlgCbEntry[] = [];
  /** Dialogs created with a ping flag. */
  readonly #pinged = new Set<Dlg>();
  #pingTimer: NodeJS.Timeout | null = null;
  #reinviteTimer: NodeJS.Timeout | null = null;
  /** Dialogs being pinged right now, per side (bit 1 caller, bit 2 callee). */
  readonly #pingPending = new Map<Dlg, number>();
  /**
   * Dialogs ended by a BYE, kept (deleted, still in the table) while their in-dialog transactions run, so
   * the replies still raise DLGCB_RESPONSE_WITHIN: how many such transactions are open.
   */
  readonly #lingering = new Map<Dlg, number>();

  constructor(cfg: EngineConfig, deps: EngineDeps) {
    this.#cfg = cfg;
    this.#d = deps;
    this.#log = deps.log;
    this.table = new DlgTable(cfg.hashSize);
    this.profiles = new Profiles(deps.log);
  }

  /** Dialogs not ended yet ($DLG_count): the table less those kept only until their BYE's transaction ends. */
  get liveCount(): number {
    return this.table.count - this.#lingering.size;
  }

  // ---- callbacks ---------------------------------------------------------------------------------

  /** register_dlgcb: 0 on success, -1 when the types do not fit (see validCbTypes). */
  register(dlg: Dlg | null, types: number, cb: DialogCb, param?: unknown, free?: ParamFreeCb): number {
    const bad = validCbTypes(types, dlg !== null);
    if (bad !== null) {
      this.#log.error({ types }, `register_dlgcb: ${bad}`);
      return -1;
    }
    const e: DlgCbEntry = { types, cb, param, free };
    if (dlg === null) (types === DLGCB.LOADED ? this.#loadedCbs : this.#createdCbs).push(e);
    else {
      if (!dlg.alive && dlg.cbs === null) return -1;
      (dlg.cbs ??= []).push(e);
    }
    return 0;
  }

  #run(d: Dlg, type: number, msg: SipMessage | undefined, dir: DlgDir, dlgData?: unknown): void {
    const list = (type & GLOBAL_ONLY) !== 0 ? (type === DLGCB.LOADED ? this.#loadedCbs : this.#createdCbs) : d.cbs;
    if (list === null || list.length === 0) return;
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as DlgCbEntry;
      if ((e.types & type) === 0) continue;
      try {
        e.cb(d, type, { msg, direction: dir, dlgData, param: e.param });
      } catch (err) {
        this.#log.error({ err, callid: d.callid }, `dialog callback ${cbName(type)} threw`);
      }
    }
  }

  /** MI_CONTEXT callbacks fill `ctx` for dlg_list_ctx. */
  runMiContext(d: Dlg, ctx: Record<string, unknown>): void {
    this.#run(d, DLGCB.MI_CONTEXT, undefined, DLG_DIR.NONE, ctx);
  }

  /** DLGCB_SAVED, after each DB write of the dialog. */
  saved(d: Dlg): void {
    this.#run(d, DLGCB.SAVED, undefined, DLG_DIR.NONE);
  }

  // ---- the current message's dialog ---------------------------------------------------------------

  /**
   * The dialog facts of the message a route handles. Request, branch and failure routes carry them in our
   * slot; an onreply_route context starts without, so there they come from the transaction the reply
   * belongs to (tm's getTransaction, the `dialog` entry of its data), as OpenSIPS finds the dialog of a reply.
   * (A reply no transaction claimed runs onreply_route with no tm state: getTransaction finds nothing.)
   */
  msgDlg(ctx: RouteContext): MsgDlg | undefined {
    const have = ctx.slots[this.#d.msgSlot] as MsgDlg | undefined;
    if (have !== undefined || ctx.routeType !== 'onreply') return have;
    const t = this.#d.tm.getTransaction(ctx);
    const m = t?.data.get('dialog');
    if (!(m instanceof MsgDlg)) return undefined;
    ctx.slots[this.#d.msgSlot] = m;
    return m;
  }

  current(ctx: RouteContext): Dlg | undefined {
    return this.msgDlg(ctx)?.dlg;
  }

  // ---- creation -----------------------------------------------------------------------------------

  /**
   * create_dialog / create_dlg on an initial INVITE: 1 created (or already created for this message),
   * -1 not an initial INVITE.
   */
  create(ctx: RouteContext, flags: number): number {
    const msg = ctx.msg;
    if (!msg.isRequest || msg.method !== 'INVITE' || msg.to.tag !== undefined) return -1;
    const have = this.msgDlg(ctx);
    if (have !== undefined) return have.created ? 1 : -1;
    const fromTag = msg.from.tag;
    if (fromTag === undefined) return -1;
    const callid = msg.callId;
    const hEntry = this.table.entryOf(callid);
    const d = new Dlg({
      hEntry,
      hId: this.table.newId(hEntry),
      flags: flags & (DLG_FLAG.BYEONTIMEOUT | PING_FLAGS | REINVITE_FLAGS),
      callid: ownString(callid),
      fromUri: ownString(msg.from.uri.toString()),
      fromTag: ownString(fromTag),
      toUri: ownString(msg.to.uri.toString()),
      callerCseq: msg.cseq.seq,
      callerContact: ownString(contactOf(msg)),
      callerRouteSet: ownString(callerRouteSet(msg)),
      callerSock: ctx.rinfo.socket.name,
      timeout: this.#cfg.defaultTimeout,
      slots: this.#d.dlgSlots.create(),
    });
    if ((d.flags & REINVITE_FLAGS) !== 0) d.callerSdp = sdpOf(msg);
    this.table.add(d);
    this.#d.stats.processed.inc();
    this.#arm(d);
    const m = new MsgDlg(d, DLG_DIR.DOWNSTREAM, true, msg.cseq.seq - 1);
    ctx.slots[this.#d.msgSlot] = m;
    // dlg_match_mode 2 (DID_NONE): no did in Record-Route.
    if (this.#cfg.matchMode !== 2) this.#d.rr.addRrParam(ctx, `${this.#cfg.rrParam}=${d.did}`);
    const t = this.#d.tm.getTransaction(ctx);
    if (t !== undefined) this.#attachInitial(m, t);
    return 1;
  }

  /**
   * The request route is over (core requestDone hook). An initial INVITE whose dialog never got a
   * transaction (replied statelessly, dropped, or the script just ended) takes its dialog with it: out of
   * its profiles and the table at once, with DLGCB_DESTROY only — it was never set up (no CREATED, no
   * state change), as OpenSIPS drops such a dialog with the request. A BYE that ended a dialog without a
   * transaction of ours lets it go now (after delete_delay).
   */
  onRequestDone(ctx: RouteContext): void {
    const m = ctx.slots[this.#d.msgSlot] as MsgDlg | undefined;
    if (m === undefined) return;
    const d = m.dlg;
    if (m.created) {
      if (!d.alive || d.tId !== '') return;
      const t = this.#d.tm.getTransaction(ctx);
      if (t !== undefined) {
        this.#attachInitial(m, t);
        return;
      }
      d.state = DlgState.DELETED;
      this.#destroy(d);
      return;
    }
    if (this.#lingering.get(d) === 0 && d.timer === null) this.#destroyLater(d);
  }

  /** A dialog ended by a BYE whose transactions are over: destroyed after delete_delay. */
  #destroyLater(d: Dlg): void {
    const ms = this.#cfg.deleteDelayMs;
    if (ms <= 0) {
      this.#destroy(d);
      return;
    }
    d.timer = setTimeout(() => {
      d.timer = null;
      this.#guard('dialog delete_delay timer', d, () => {
        if (this.#lingering.get(d) === 0) this.#destroy(d);
      });
    }, ms);
    d.timer.unref();
  }

  /** tm's global TMCB_REQUEST_IN: the transaction of a message whose dialog is known. */
  onRequestIn(p: TmCallbackParams): void {
    const ctx = p.ctx;
    if (ctx === undefined) return;
    const m = this.msgDlg(ctx);
    if (m === undefined) return;
    if (m.created) {
      this.#learnMangled(m.dlg, ctx);
      this.#attachInitial(m, p.t);
    } else this.#attachWithin(m, p.t);
  }

  /**
   * The From / To the initial INVITE is relayed with, when the script changed them (header ops up to
   * t_relay): requests we send to the callee use them, and they are the mangled_*_uri columns.
   */
  #learnMangled(d: Dlg, ctx: RouteContext): void {
    for (const op of ctx.ops) {
      if (op.kind !== 'replace' && op.kind !== 'add') continue;
      const n = op.name.toLowerCase();
      if (n === 'from' || n === 'f') d.mangledFromUri = uriOfHeaderValue(op.value);
      else if (n === 'to' || n === 't') d.mangledToUri = uriOfHeaderValue(op.value);
    }
    if (d.mangledFromUri === d.fromUri) d.mangledFromUri = null;
    if (d.mangledToUri === d.toUri) d.mangledToUri = null;
  }

  #attachInitial(m: MsgDlg, t: Transaction): void {
    const d = m.dlg;
    if (d.tId !== '' || !d.alive) return;
    d.tId = t.id;
    // The transaction's `dialog` entry is this message's MsgDlg: onreply_route contexts find the dialog there.
    t.data.set('dialog', m);
    this.#d.tm.registerTmcb(
      ['TMCB_RESPONSE_IN', 'TMCB_RESPONSE_FWDED', 'TMCB_RESPONSE_OUT', 'TMCB_E2EACK_IN', 'TMCB_TRANS_CANCELLED', 'TMCB_TRANS_DELETED'],
      (type, p) => this.#onInitialTm(d, type, p),
      t,
    );
    this.#run(d, DLGCB.CREATED, t.request, DLG_DIR.DOWNSTREAM);
  }

  #onInitialTm(d: Dlg, type: TmcbType, p: TmCallbackParams): void {
    switch (type) {
      case 'TMCB_RESPONSE_IN':
        if (p.rpl !== undefined) this.#learnCallee(d, p.rpl, p.ctx);
        return;
      case 'TMCB_RESPONSE_FWDED':
        if (d.alive) this.#run(d, DLGCB.RESPONSE_FWDED, p.rpl, DLG_DIR.UPSTREAM);
        return;
      case 'TMCB_RESPONSE_OUT':
        this.#initialReplyOut(d, p.code, p.rpl);
        return;
      case 'TMCB_E2EACK_IN':
        this.#ack(d);
        return;
      case 'TMCB_TRANS_CANCELLED':
        d.flags |= DLG_FLAG.CANCELLED;
        return;
      case 'TMCB_TRANS_DELETED':
        d.tId = '';
        // The transaction ended without a final reply going upstream (should not happen, but never leak).
        if (d.alive && !d.confirmed) this.#fail(d, undefined);
        return;
      // Not registered for the initial INVITE's transaction (listed so a new TMCB type is a lint error here).
      case 'TMCB_REQUEST_IN':
      case 'TMCB_REQUEST_FWDED':
      case 'TMCB_REQUEST_BUILT':
      case 'TMCB_RESPONSE_PRE_OUT':
      case 'TMCB_LOCAL_RESPONSE_OUT':
      case 'TMCB_ON_FAILURE_RO':
      case 'TMCB_ON_FAILURE':
      case 'TMCB_LOCAL_COMPLETED':
        return;
    }
  }

  /** Takes the callee's side of the dialog from a received reply (To tag, Contact, route set, socket). */
  #learnCallee(d: Dlg, rpl: SipMessage, ctx: RouteContext | undefined): void {
    if (!d.alive || d.confirmed) return;
    const code = rpl.status;
    const tag = rpl.to.tag;
    if (code <= 100 || tag === undefined) return;
    // A 2xx is authoritative (with forking, an earlier 1xx may come from another branch).
    if (code >= 200 && code < 300) {
      d.toTag = ownString(tag);
      d.calleeContact = ownString(contactOf(rpl));
      d.calleeRouteSet = ownString(calleeRouteSet(rpl, this.#d.isMyself));
      d.calleeSock = ctx?.rinfo.socket.name ?? d.callerSock;
      if ((d.flags & REINVITE_FLAGS) !== 0) d.calleeSdp = sdpOf(rpl);
    } else if (code < 200 && d.toTag === '') {
      d.toTag = ownString(tag);
    }
  }

  #initialReplyOut(d: Dlg, code: number, rpl: SipMessage | undefined): void {
    if (!d.alive) return;
    if (code > 100 && code < 200) {
      if (this.#setState(d, 'provisional')) this.#run(d, DLGCB.EARLY, rpl, DLG_DIR.UPSTREAM);
    } else if (code >= 200 && code < 300) {
      if (d.confirmed) return;
      if (rpl !== undefined) {
        if (d.toTag === '' && rpl.to.tag !== undefined) d.toTag = ownString(rpl.to.tag);
        if (d.calleeContact === '') d.calleeContact = ownString(contactOf(rpl));
      }
      if (d.calleeSock === '') d.calleeSock = d.callerSock;
      d.startTs = Math.floor(Date.now() / 1000);
      this.#setState(d, 'confirm');
      this.#arm(d);
      if ((d.flags & (PING_FLAGS | REINVITE_FLAGS)) !== 0) this.#pinged.add(d);
      this.#run(d, DLGCB.CONFIRMED, rpl, DLG_DIR.UPSTREAM);
      this.changed(d);
    } else if (code >= 300 && !d.confirmed) {
      this.#fail(d, rpl);
    }
  }

  #fail(d: Dlg, rpl: SipMessage | undefined): void {
    this.#d.stats.failed.inc();
    this.#setState(d, 'negative');
    this.#run(d, DLGCB.FAILED, rpl, DLG_DIR.UPSTREAM);
    this.#destroy(d);
  }

  #ack(d: Dlg): void {
    if (d.state !== DlgState.CONFIRMED_NA) return;
    this.#setState(d, 'ack');
    this.changed(d);
  }

  // ---- in-dialog requests -------------------------------------------------------------------------

  /** rr's callback in loose_route: match by the `did` param of our Route (and by Call-ID + tags). */
  onLooseRoute(ctx: RouteContext, params: string): void {
    if (this.msgDlg(ctx) !== undefined || !ctx.msg.isRequest) return;
    const mode = this.#cfg.matchMode;
    if (mode !== 2) {
      const did = paramValue(params, this.#cfg.rrParam);
      if (typeof did === 'string') {
        this.#matchDid(ctx, did);
        return;
      }
    }
    if (mode !== 0) this.#matchTags(ctx);
  }

  /** match_dialog(): 1 when the request belongs to a dialog (now current), -1 otherwise. */
  match(ctx: RouteContext): number {
    if (this.msgDlg(ctx) !== undefined) return 1;
    const msg = ctx.msg;
    if (!msg.isRequest || msg.to.tag === undefined) return -1;
    if (this.#cfg.matchMode !== 2) {
      let did = this.#d.rr.getRouteParam(ctx, this.#cfg.rrParam);
      if (did === undefined) did = this.#didOfRoutes(msg);
      if (typeof did === 'string') return this.#matchDid(ctx, did) ? 1 : -1;
    }
    if (this.#cfg.matchMode === 0) return -1;
    return this.#matchTags(ctx) ? 1 : -1;
  }

  #didOfRoutes(msg: SipMessage): string | null | undefined {
    for (const r of msg.routes) {
      if (!this.#d.isMyself(r.uri.host, r.uri.port)) break;
      const did = r.uri.params.get(this.#cfg.rrParam);
      if (did !== undefined) return did;
    }
    return undefined;
  }

  #matchDid(ctx: RouteContext, did: string): boolean {
    const dot = did.indexOf('.');
    if (dot <= 0) return false;
    const d = this.table.get(parseInt(did.slice(0, dot), 16), parseInt(did.slice(dot + 1), 16));
    const msg = ctx.msg;
    const ft = msg.from.tag ?? '';
    const tt = msg.to.tag ?? '';
    // The did only points at a dialog: the Call-ID and tags must still be its own (a stale or forged did).
    if (d === undefined || d.callid !== msg.callId) return false;
    if (d.fromTag === ft && (d.toTag === tt || d.toTag === '')) this.#within(ctx, d, true);
    else if (d.fromTag === tt && d.toTag === ft) this.#within(ctx, d, false);
    else return false;
    return true;
  }

  #matchTags(ctx: RouteContext): boolean {
    const msg = ctx.msg;
    const tt = msg.to.tag;
    if (tt === undefined) return false;
    const m = this.table.match(msg.callId, msg.from.tag ?? '', tt);
    if (m === undefined) return false;
    this.#within(ctx, m.dlg, m.downstream);
    return true;
  }

  #within(ctx: RouteContext, d: Dlg, downstream: boolean): void {
    const msg = ctx.msg;
    const method = msg.method;
    const dir = downstream ? DLG_DIR.DOWNSTREAM : DLG_DIR.UPSTREAM;
    const seq = msg.cseq.seq;
    const prev = downstream ? d.callerCseq : d.calleeCseq;
    const m = new MsgDlg(d, dir, false, prev);
    ctx.slots[this.#d.msgSlot] = m;
    let dirty = false;
    // After a request of ours towards the other leg, this UA's numbering is shifted there (before prev moves).
    const out = relayedCseq(d, downstream, method, seq);
    if (out !== seq) {
      ctx.ops.push({ kind: 'replace', name: 'CSeq', value: `${out} ${msg.cseq.method}` });
      m.replyCseq = `${seq} ${msg.cseq.method}`;
    }
    // A script that created the transaction before matching the dialog: TMCB_REQUEST_IN has passed already.
    const t = this.#d.tm.getTransaction(ctx);
    if (t !== undefined) this.#attachWithin(m, t);
    if (method !== 'ACK' && method !== 'CANCEL' && seq > prev) {
      if (downstream) d.callerCseq = seq;
      else d.calleeCseq = seq;
      dirty = true;
    }
    if (method === 'ACK') this.#ack(d);
    this.#run(d, DLGCB.REQ_WITHIN, msg, dir);
    if (method === 'BYE') {
      if (!d.alive) return;
      d.termReason = downstream ? END_REASON.DOWNSTREAM_BYE : END_REASON.UPSTREAM_BYE;
      this.#setState(d, 'bye');
      this.#run(d, DLGCB.TERMINATED, msg, dir, d.termReason);
      // Destroyed once the BYE's transaction is over (its 200 still raises RESPONSE_WITHIN), or at the end
      // of the request route without one (onRequestDone); delete_delay later either way.
      this.#end(d);
      this.#lingering.set(d, 0);
      if (t !== undefined) this.#lingerOn(d, t);
      return;
    }
    if ((d.flags & REINVITE_FLAGS) !== 0 && method === 'INVITE') {
      const sdp = sdpOf(msg);
      if (sdp !== '') {
        if (downstream) d.callerSdp = sdp;
        else d.calleeSdp = sdp;
      }
    }
    if ((method === 'INVITE' || method === 'UPDATE') && msg.contacts.length > 0) {
      // Target refresh (RFC 3261 12.2.2): the sender's new Contact is where we reach it from now on.
      const c = ownString(contactOf(msg));
      if (downstream) d.callerContact = c;
      else d.calleeContact = c;
      dirty = true;
    }
    if (dirty) this.changed(d);
  }

  /** A dialog ended by a BYE stays (deleted) until `t`, one of its in-dialog transactions, is over. */
  #lingerOn(d: Dlg, t: Transaction): void {
    this.#lingering.set(d, (this.#lingering.get(d) ?? 0) + 1);
    this.#d.tm.registerTmcb(
      'TMCB_TRANS_DELETED',
      () => {
        const left = (this.#lingering.get(d) ?? 1) - 1;
        this.#lingering.set(d, left);
        if (left === 0) this.#destroyLater(d);
      },
      t,
    );
  }

  #attachWithin(m: MsgDlg, t: Transaction): void {
    const d = m.dlg;
    if ((t.data.get('dialog') as MsgDlg | undefined)?.dlg === d) return; // attached already (matched twice)
    t.data.set('dialog', m);
    // The UA sees its own numbering in the replies to a renumbered request (the 2xx it ACKs, RFC 3261 8.1.3.3).
    if (m.replyCseq !== null) this.#d.tm.setReplyOps(t, [{ kind: 'replace', name: 'CSeq', value: m.replyCseq }]);
    if (this.#lingering.has(d)) this.#lingerOn(d, t);
    const refresh = t.method === 'INVITE' || t.method === 'UPDATE';
    this.#d.tm.registerTmcb(
      'TMCB_RESPONSE_FWDED',
      (_type, p) => {
        const rpl = p.rpl;
        if (refresh && rpl !== undefined && p.code >= 200 && p.code < 300 && d.alive && (d.flags & REINVITE_FLAGS) !== 0 && t.method === 'INVITE') {
          const sdp = sdpOf(rpl);
          if (sdp !== '') {
            if (m.dir === DLG_DIR.DOWNSTREAM) d.calleeSdp = sdp;
            else d.callerSdp = sdp;
          }
        }
        if (refresh && rpl !== undefined && p.code >= 200 && p.code < 300 && d.alive && rpl.contacts.length > 0) {
          // The answerer's Contact in a 2xx to a re-INVITE/UPDATE refreshes its target too.
          if (m.dir === DLG_DIR.DOWNSTREAM) d.calleeContact = ownString(contactOf(rpl));
          else d.callerContact = ownString(contactOf(rpl));
          this.changed(d);
        }
        this.#run(d, DLGCB.RESPONSE_WITHIN, rpl, m.dir);
      },
      t,
    );
  }

  // ---- state, timers, end -------------------------------------------------------------------------

  #setState(d: Dlg, ev: DlgEvent): boolean {
    const next = nextState(d.state, ev);
    if (next === null) return false;
    const old = d.state;
    d.state = next;
    const s = this.#d.stats;
    if (old === DlgState.EARLY) s.early.dec();
    if ((old === DlgState.CONFIRMED_NA || old === DlgState.CONFIRMED) && next === DlgState.DELETED) s.active.dec();
    if (next === DlgState.EARLY) s.early.inc();
    if (next === DlgState.CONFIRMED_NA || (next === DlgState.CONFIRMED && old !== DlgState.CONFIRMED_NA)) s.active.inc();
    this.#d.events.raise('E_DLG_STATE_CHANGED', {
      hash_entry: d.hEntry,
      hash_id: d.hId,
      callid: d.callid,
      from_tag: d.fromTag,
      to_tag: d.toTag,
      old_state: old,
      new_state: next,
    });
    return true;
  }

  /** (Re)arms the expiry timer at now + $DLG_timeout. */
  #arm(d: Dlg): void {
    if (d.timer !== null) clearTimeout(d.timer);
    d.expiresAt = Date.now() + d.timeout * 1000;
    this.#armAt(d);
  }

  #armAt(d: Dlg): void {
    const ms = Math.max(0, d.expiresAt - Date.now());
    d.timer = setTimeout(
      () => {
        d.timer = null;
        this.#guard('dialog timeout', d, () => {
          // Timers longer than ~24.8 days are chained.
          if (d.expiresAt > Date.now() + 5) this.#armAt(d);
          else this.#expire(d);
        });
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    d.timer.unref();
  }

  /** $DLG_timeout read: seconds until the dialog expires (its lifetime when no timer runs). */
  remaining(d: Dlg): number {
    if (!d.alive || d.expiresAt === 0) return d.timeout;
    return Math.max(0, Math.ceil((d.expiresAt - Date.now()) / 1000));
  }

  /** $DLG_timeout = seconds: the dialog now expires that many seconds from now. */
  setTimeout(d: Dlg, seconds: number): void {
    d.timeout = seconds;
    if (!d.alive) return;
    this.#arm(d);
    this.changed(d);
  }

  #expire(d: Dlg): void {
    if (!d.alive) return;
    if (this.cluster?.passive(d) === true) {
      // The node holding the tag ends it (and replicates the delete); we take over if the tag comes here.
      d.expiresAt = Date.now() + PASSIVE_RECHECK_MS;
      this.#armAt(d);
      return;
    }
    this.#d.stats.expired.inc();
    d.termReason = END_REASON.LIFETIME;
    this.#run(d, DLGCB.EXPIRED, undefined, DLG_DIR.NONE);
    if (!d.alive) return; // a callback terminated it
    if (d.confirmed) {
      if ((d.flags & DLG_FLAG.BYEONTIMEOUT) !== 0) {
        d.flags |= DLG_FLAG.LOCAL_END;
        this.#byes(d, d.termReason);
      }
    } else {
      this.#cancelSetup(d);
    }
    this.#setState(d, 'expire');
    this.#destroy(d);
  }

  /**
   * terminate_dlg: ends a dialog from the middle. Confirmed: BYE to both sides. In setup: CANCEL the
   * INVITE's branches (the 487 then fails the dialog). 0 on success, -1 when there is no such live dialog.
   */
  terminate(d: Dlg, reason: string, extraHdrs: readonly [string, string][] = []): number {
    if (!d.alive) return -1;
    if (!d.confirmed) {
      d.termReason = reason;
      if (this.#cancelSetup(d)) return 0;
      this.#setState(d, 'terminate');
      this.#run(d, DLGCB.TERMINATED, undefined, DLG_DIR.NONE, reason);
      this.#destroy(d);
      return 0;
    }
    d.termReason = reason;
    d.flags |= DLG_FLAG.LOCAL_END;
    this.#byes(d, reason, extraHdrs);
    this.#setState(d, 'terminate');
    this.#run(d, DLGCB.TERMINATED, undefined, DLG_DIR.NONE, reason);
    this.#destroy(d);
    return 0;
  }

  #cancelSetup(d: Dlg): boolean {
    if (d.tId === '') return false;
    const t = this.#d.tm.lookup(d.tId);
    if (t === undefined) return false;
    this.#d.tm.cancelTransaction(t);
    return true;
  }

  /** sendByes in the background: a failure is reported, never thrown. */
  #byes(d: Dlg, reason: string, extraHdrs: readonly [string, string][] = []): void {
    this.sendByes(d, reason, extraHdrs).catch((err: unknown) => this.#d.caught('dialog BYE', err, null, { callid: d.callid }));
  }

  /** Runs a timer or callback body: what it throws is reported (counted, logged), never thrown into the event loop. */
  #guard(what: string, d: Dlg, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#d.caught(what, err, null, { callid: d.callid });
    }
  }

  /**
   * BYE to both sides, in the dialog, through tm's UAC (resolves with the outcomes of the BYEs sent). A leg
   * whose BYE cannot be built (a stored Contact that no longer parses) is reported and left out; the other
   * leg still gets its BYE.
   */
  sendByes(d: Dlg, reason: string, extraHdrs: readonly [string, string][] = []): Promise<UacOutcome[]> {
    const headers: [string, string][] = reason === '' ? [] : [['Reason', `SIP;cause=200;text="${reason.replace(/["\\\r\n]/g, '')}"`]];
    // dlg_extra_hdrs on every BYE, then the ones given for this termination (dlg_end_dlg extra_hdrs).
    headers.push(...this.#cfg.extraHdrs, ...extraHdrs);
    const legs: Promise<UacOutcome>[] = [];
    for (const toCaller of [false, true]) {
      try {
        legs.push(this.#inDialog(d, 'BYE', toCaller, nextLocalCseq(d, toCaller), headers));
      } catch (err) {
        this.#d.caught('dialog BYE', err, null, { callid: d.callid, to: toCaller ? 'caller' : 'callee' });
      }
    }
    return Promise.all(legs).then((outs) => {
      for (const o of outs) if (o.code >= 300) this.#log.info({ callid: d.callid, code: o.code }, 'BYE sent by the dialog module was not accepted');
      return outs;
    });
  }

  /** A request we send inside the dialog, to the caller (as the callee) or to the callee (as the caller). */
  #inDialog(d: Dlg, method: string, toCaller: boolean, cseq: number, headers: readonly [string, string][], sdp = ''): Promise<UacOutcome> {
    return this.#inDialogHandle(d, method, toCaller, cseq, headers, sdp).done;
  }

  #inDialogHandle(d: Dlg, method: string, toCaller: boolean, cseq: number, headers: readonly [string, string][], sdp: string, contact?: string): UacHandle {
    const routes = routeList(toCaller ? d.callerRouteSet : d.calleeRouteSet);
    const sock = toCaller ? d.callerSock : d.calleeSock;
    return this.#d.tm.request({
      method,
      ruri: toCaller ? d.callerContact : d.calleeContact,
      // Each leg sees the From / To it was sent on the initial INVITE (changed by the script for the callee).
      from: toCaller ? nameAddr(d.toUri, d.toTag) : nameAddr(d.mangledFromUri ?? d.fromUri, d.fromTag),
      to: toCaller ? nameAddr(d.fromUri, d.fromTag) : nameAddr(d.mangledToUri ?? d.toUri, d.toTag),
      callId: d.callid,
      cseq,
      ...(routes.length > 0 ? { routes } : {}),
      ...(sock !== '' ? { socket: sock } : {}),
      ...(headers.length > 0 ? { headers } : {}),
      ...(sdp !== '' ? { body: Buffer.from(sdp), contentType: 'application/sdp' } : {}),
      ...(contact !== undefined && contact !== '' ? { contact: `<${contact}>` } : {}),
    });
  }

  /** The dialog ended (now deleted): no more timer or pings, out of its profiles, its row deleted. */
  #end(d: Dlg): void {
    if (d.timer !== null) clearTimeout(d.timer);
    d.timer = null;
    this.#pinged.delete(d);
    this.#pingPending.delete(d);
    this.profiles.unlinkAll(d);
    this.changed(d);
  }

  /**
   * Unlinks an ended dialog from the table; DLGCB_DESTROY and the callbacks' release wait for its DB delete,
   * so DLGCB_SAVED still fires for it.
   */
  #destroy(d: Dlg): void {
    if (this.#lingering.delete(d)) {
      // Ended at the BYE already: only the linger timer is left.
      if (d.timer !== null) clearTimeout(d.timer);
      d.timer = null;
    } else this.#end(d);
    if (!this.table.remove(d)) return;
    const deleting = this.store?.deleting(d);
    if (deleting === undefined) this.#release(d);
    else deleting.then(() => this.#release(d)).catch((err: unknown) => this.#d.caught('dialog release', err, null, { callid: d.callid }));
  }

  #release(d: Dlg): void {
    this.#run(d, DLGCB.DESTROY, undefined, DLG_DIR.NONE);
    const cbs = d.cbs;
    d.cbs = null;
    if (cbs !== null) {
      for (const e of cbs) {
        if (e.free === undefined) continue;
        try {
          e.free(e.param);
        } catch (err) {
          this.#log.error({ err }, 'dialog callback param free function threw');
        }
      }
    }
  }

  /** Something persistent changed: tell the store. */
  changed(d: Dlg): void {
    this.cluster?.changed(d);
    if (this.store === null) return;
    d.dirty |= DIRTY.CHANGED;
    this.store.changed(d);
  }

  // ---- pinging ------------------------------------------------------------------------------------

  startPinging(): void {
    if (this.#pingTimer !== null) return;
    this.#pingTimer = setInterval(() => {
      try {
        this.#pingTick();
      } catch (err) {
        this.#d.caught('dialog ping timer', err);
      }
    }, this.#cfg.pingInterval * 1000);
    this.#pingTimer.unref();
    this.#reinviteTimer = setInterval(() => this.#reinviteTick(), this.#cfg.reinvitePingInterval * 1000);
    this.#reinviteTimer.unref();
  }

  #reinviteTick(): void {
    for (const d of this.#pinged) {
      if (!d.confirmed) continue;
      if ((d.flags & DLG_FLAG.REINVITE_PING_CALLER) !== 0) this.#reinvitePing(d, true);
      if ((d.flags & DLG_FLAG.REINVITE_PING_CALLEE) !== 0) this.#reinvitePing(d, false);
    }
  }

  /**
   * One in-dialog re-INVITE to one side (create_dialog R/r), carrying the other side's last session
   * description so the media stay as they are; its 2xx is ACKed. A 481, or no answer at all (408), ends the
   * dialog ('ReINVITE Ping Timeout'); any other reply (491 glare, 488…) proves the peer still holds it.
   * Like an OPTIONS ping it takes the next CSeq of the leg's sequence (cseq.ts).
   */
  #reinvitePing(d: Dlg, toCaller: boolean): void {
    const sdp = toCaller ? d.calleeSdp : d.callerSdp;
    // Without the other side's description (a dialog loaded from the DB) a body-less re-INVITE would ask the
    // peer for an offer that our ACK could not answer (RFC 3264): no ping then.
    if (sdp === '') return;
    const bit = toCaller ? 4 : 8;
    const pending = this.#pingPending.get(d) ?? 0;
    if ((pending & bit) !== 0) return; // the previous one is still running
    this.#pingPending.set(d, pending | bit);
    const cseq = nextLocalCseq(d, toCaller);
    this.changed(d);
    const sock = toCaller ? d.callerSock : d.calleeSock;
    const h = this.#inDialogHandle(d, 'INVITE', toCaller, cseq, [], sdp, contactOfSocket(sock));
    void h.done.then(async (o) => {
      const p = this.#pingPending.get(d);
      if (p !== undefined) this.#pingPending.set(d, p & ~bit);
      if (o.code >= 200 && o.code < 300 && o.reply !== undefined) {
        const routes = routeList(toCaller ? d.callerRouteSet : d.calleeRouteSet);
        await this.#d.tm.sendAck(h, o.reply, routes.length > 0 ? { routes } : {}).catch((err: unknown) => {
          this.#log.warn({ err, callid: d.callid }, 'cannot ACK the 2xx to a re-INVITE ping');
        });
      }
      if (!d.alive) return;
      if (o.code === 481 || o.code === 408) this.terminate(d, END_REASON.REINVITE_PING);
    });
  }

  #pingTick(): void {
    const cluster = this.cluster;
    for (const d of this.#pinged) {
      if (!d.confirmed || (cluster !== null && cluster.passive(d))) continue;
      // One dialog that cannot be pinged must not stop the pings of the others.
      this.#guard('dialog ping', d, () => {
        if ((d.flags & DLG_FLAG.PING_CALLER) !== 0) this.#ping(d, true);
        if ((d.flags & DLG_FLAG.PING_CALLEE) !== 0) this.#ping(d, false);
      });
    }
  }

  /**
   * One in-dialog OPTIONS to one side. Any answer but 408/481 proves the peer holds the dialog; a 481 ends
   * the dialog at once, a 408 (or no answer at all) only after options_ping_max_failures in a row.
   * A ping takes the next CSeq of the leg's sequence; the UA's later requests are shifted past it (cseq.ts).
   */
  #ping(d: Dlg, toCaller: boolean): void {
    const bit = toCaller ? 1 : 2;
    const pending = this.#pingPending.get(d) ?? 0;
    if ((pending & bit) !== 0) return; // the previous ping is still running (tm retransmits it)
    this.#pingPending.set(d, pending | bit);
    const cseq = nextLocalCseq(d, toCaller);
    this.changed(d); // the leg's CSeq moved: a restart must go on above it
    const clear = (): void => {
      const p = this.#pingPending.get(d);
      if (p !== undefined) this.#pingPending.set(d, p & ~bit);
    };
    let done: Promise<UacOutcome>;
    try {
      done = this.#inDialog(d, 'OPTIONS', toCaller, cseq, []);
    } catch (err) {
      clear(); // not sent: the next tick tries again
      throw err;
    }
    done
      .then((o) => {
        clear();
        if (!d.alive) return;
        if (o.code === 481) {
          this.terminate(d, END_REASON.PING);
          return;
        }
        if (o.code === 408) {
          const fails = toCaller ? ++d.callerPingFails : ++d.calleePingFails;
          if (fails >= this.#cfg.pingMaxFailures) this.terminate(d, END_REASON.PING);
          return;
        }
        if (toCaller) d.callerPingFails = 0;
        else d.calleePingFails = 0;
      })
      .catch((err: unknown) => this.#d.caught('dialog ping', err, null, { callid: d.callid }));
  }

  // ---- loading ------------------------------------------------------------------------------------

  /**
   * Links a dialog read from the DB: timers, pings, profiles and statistics as if it had been set up here,
   * then DLGCB_LOADED. Its timeout is the absolute expiry stored (a past one expires right away).
   */
  linkLoaded(d: Dlg, expiresSec: number, profiles: readonly { name: string; value: string }[], replicated = false): void {
    d.flags |= DLG_FLAG.LOADED;
    this.table.add(d);
    for (const p of profiles) {
      const def = this.profiles.search(p.name);
      if (def !== undefined) this.profiles.set(d, def, p.value, replicated);
    }
    if (d.state === DlgState.EARLY) this.#d.stats.early.inc();
    if (d.confirmed) this.#d.stats.active.inc();
    if ((d.flags & (PING_FLAGS | REINVITE_FLAGS)) !== 0 && d.confirmed) this.#pinged.add(d);
    const nowSec = Date.now() / 1000;
    d.timeout = Math.max(1, Math.round(expiresSec - (d.startTs > 0 ? d.startTs : nowSec)));
    d.expiresAt = expiresSec > 0 ? expiresSec * 1000 : Date.now() + this.#cfg.defaultTimeout * 1000;
    this.#run(d, DLGCB.LOADED, undefined, DLG_DIR.NONE);
    this.#armAt(d);
  }

  /** The expiry of a dialog changed elsewhere (a replicated update): its timer follows `d.expiresAt`. */
  rearm(d: Dlg): void {
    if (!d.alive || this.#lingering.has(d)) return;
    if (d.timer !== null) clearTimeout(d.timer);
    this.#armAt(d);
  }

  /** A replicated delete: the dialog ends here without BYEs (the node holding its tag sent them). */
  dropReplicated(d: Dlg, reason: string): void {
    if (!d.alive) return;
    d.termReason = reason;
    this.#setState(d, 'terminate');
    this.#run(d, DLGCB.TERMINATED, undefined, DLG_DIR.NONE, reason);
    this.#destroy(d);
  }

  stop(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    if (this.#reinviteTimer !== null) clearInterval(this.#reinviteTimer);
    this.#reinviteTimer = null;
    for (const d of this.table.values()) {
      if (d.timer !== null) clearTimeout(d.timer);
      d.timer = null;
    }
    for (const list of [this.#createdCbs, this.#loadedCbs]) {
      for (const e of list) e.free?.(e.param);
      list.length = 0;
    }
  }
}
