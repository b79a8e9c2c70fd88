/**
 * The tm API other modules bind (OpenSIPS `load_tm_api()` / `struct tm_binds`): transaction callbacks
 * (TMCB_*), the transaction of the message being processed, stateful replies, and the UAC side used by
 * dialog (BYE, OPTIONS pings), b2b-entities, uac-registrant and pua.
 *
 * This file is the contract between tm and its users: change it only together with them.
 */
import type { HeaderOp, RouteContext, SipMessage } from '@core/sip';

/** Transaction callback types, as OpenSIPS t_hooks.h names them. */
export type TmcbType =
  /** A new server transaction was created for a request · once per transaction · global only. */
  | 'TMCB_REQUEST_IN'
  /** A request copy was sent on a branch (t_relay) · once per branch. */
  | 'TMCB_REQUEST_FWDED'
  /** The copy of a branch (relayed or sent by the UAC API) was built, before it is sent · once per branch. */
  | 'TMCB_REQUEST_BUILT'
  /** A reply was received for the transaction, before it is processed · every reply, retransmissions excluded. */
  | 'TMCB_RESPONSE_IN'
  /** A received reply was relayed upstream · each relayed reply. */
  | 'TMCB_RESPONSE_FWDED'
  /** A reply is about to be sent upstream (relayed or local), its buffer built · each reply sent. */
  | 'TMCB_RESPONSE_PRE_OUT'
  /** A reply was sent upstream for the transaction (relayed or local) · each reply sent. */
  | 'TMCB_RESPONSE_OUT'
  /** A reply that tm generated (t_reply, 100 Trying, 408, 487…) was sent upstream · each such reply. */
  | 'TMCB_LOCAL_RESPONSE_OUT'
  /** The ACK for a 2xx of this INVITE transaction passed through the proxy · each such ACK. */
  | 'TMCB_E2EACK_IN'
  /** The transaction got a negative final outcome, before failure_route runs; the reply is read-only · once per outcome. */
  | 'TMCB_ON_FAILURE_RO'
  /** The transaction got a negative final outcome, before failure_route runs · once per outcome. */
  | 'TMCB_ON_FAILURE'
  /** A CANCEL matched this INVITE transaction · once. */
  | 'TMCB_TRANS_CANCELLED'
  /** A local (UAC) transaction completed with a final reply or timeout · once. */
  | 'TMCB_LOCAL_COMPLETED'
  /** The transaction is freed (after wt_timer) · once. */
  | 'TMCB_TRANS_DELETED';

/** A transaction as other modules see it. */
export interface Transaction {
  /** Unique id (also the hash key): `<hash index>:<label>` like OpenSIPS's t_index:t_label. */
  readonly id: string;
  readonly method: string;
  /** The received request (server transaction) or the request we built (local UAC transaction). */
  readonly request: SipMessage;
  /** Created by a module through the UAC API, not by a received request. */
  readonly isLocal: boolean;
  /** The final status sent or received (0 while none). */
  readonly status: number;
  /** Transaction flags (message flags carried into the transaction). */
  readonly flags: number;
  /** True once a CANCEL matched this INVITE. */
  readonly cancelled: boolean;
  /** Number of branches created so far. */
  readonly branchCount: number;
  /** Per-transaction data for other modules: a plain map keyed by module name. */
  readonly data: Map<string, unknown>;
}

export interface TmCallbackParams {
  readonly t: Transaction;
  /** The request of the transaction. */
  readonly req: SipMessage;
  /** The reply concerned, when there is one (received or sent). */
  readonly rpl: SipMessage | undefined;
  /** Reply code concerned (for a local 408 timeout, rpl is undefined and code is 408). */
  readonly code: number;
  /** Branch index concerned, -1 when none. */
  readonly branch: number;
  /** The route context when the callback runs while a route processes the message. */
  readonly ctx: RouteContext | undefined;
}

export type TmCallback = (type: TmcbType, params: TmCallbackParams) => void;

/** A request the server originates (t_uac): out of dialog, or in dialog when the tags/route set are given. */
export interface UacRequest {
  method: string;
  /** Request-URI (the remote target in a dialog). */
  ruri: string;
  /** From header value, e.g. `<sip:alice@example.com>;tag=abc` (a tag is generated when missing). */
  from: string;
  /** To header value (with the remote tag in a dialog). */
  to: string;
  /** Generated when omitted. */
  callId?: string;
  /** Default 1 (the caller keeps the CSeq of a dialog). */
  cseq?: number;
  /** Route set, in order, as URIs or name-addrs (loose routing: the first one is the next hop). */
  routes?: readonly string[];
  /** Next hop, overriding the R-URI and routes (like $du / outbound proxy). */
  dstUri?: string;
  contact?: string;
  headers?: readonly [string, string][];
  body?: Buffer;
  contentType?: string;
  /** Send from this listen socket (`udp:127.0.0.1:5060`); the first matching one by default. */
  socket?: string;
}

export interface UacCallbacks {
  /** Every provisional reply (1xx), retransmissions excluded. */
  onProvisional?(reply: SipMessage, t: Transaction): void;
}

/** The end of a local transaction. */
export interface UacOutcome {
  /** Final code: the reply's, or 408 on timeout (Timer B/F) and 503 when it could not be sent. */
  code: number;
  /** The final reply, or undefined when the outcome was generated locally (timeout, send failure). */
  reply: SipMessage | undefined;
  transaction: Transaction;
}

export interface UacHandle {
  readonly transaction: Transaction;
  /** Resolves on the final reply (the first 2xx for INVITE), a timeout or a send failure; never rejects. */
  readonly done: Promise<UacOutcome>;
  /** CANCEL a pending INVITE (RFC 3261 9.1); no-op once final. */
  cancel(): void;
}

export interface ReplyOptions {
  headers?: readonly [string, string][];
  body?: Buffer;
  contentType?: string;
  /** To tag for replies > 100 when the request had none; tm generates one per transaction when omitted. */
  toTag?: string;
}

export interface TmApi {
  /**
   * Registers a transaction callback (register_tmcb). With `t`, only for that transaction; without,
   * global — allowed for TMCB_REQUEST_IN only (and only during init), as in OpenSIPS.
   */
  registerTmcb(types: TmcbType | readonly TmcbType[], cb: TmCallback, t?: Transaction): void;
  /** The transaction of the message a route is processing (t_gett), if one exists yet. */
  getTransaction(ctx: RouteContext): Transaction | undefined;
  /** t_newtran: creates the server transaction for the request (idempotent); false on a retransmission. */
  newTransaction(ctx: RouteContext): boolean;
  /** t_relay from a module: same return codes as the script function. */
  relay(ctx: RouteContext, opts?: { dest?: string; flags?: number }): Promise<number>;
  /** t_reply: stateful reply on the request's transaction (creates it when needed). */
  reply(ctx: RouteContext, code: number, reason?: string, opts?: ReplyOptions): number;
  /** Stateful reply on a transaction found earlier (e.g. by b2b-entities after an async step). */
  replyTransaction(t: Transaction, code: number, reason?: string, opts?: ReplyOptions): number;
  /** t_uac: sends a request in a new client transaction (retransmissions, timers, ACK of non-2xx). */
  request(req: UacRequest, cb?: UacCallbacks): UacHandle;
  /**
   * Sends the ACK for a 2xx to an INVITE we sent (end to end, not part of the transaction, RFC 3261 13.2.2.4),
   * to the 2xx's Contact through the given route set.
   */
  sendAck(invite: UacHandle, ok: SipMessage, opts?: { routes?: readonly string[]; body?: Buffer; contentType?: string }): Promise<void>;
  /** t_cancel_call equivalent for a server transaction: CANCEL every pending branch. */
  cancelTransaction(t: Transaction): void;
  /** Finds a server transaction by its id (t_lookup_ident). */
  lookup(id: string): Transaction | undefined;
  /**
   * t_get_picked_branch: the branch whose reply was picked as the transaction's final outcome so far (in
   * failure_route, the winning negative reply's branch; after a 2xx, the 2xx's branch); -1 when none.
   */
  getPickedBranch(t: Transaction): number;
  /**
   * The final reply branch `idx` of `t` received; undefined while it has none, or when its outcome was made
   * here (408 timeout, send failure). In failure_route, `getBranchReply(t, getPickedBranch(t))` is the winning
   * reply (uac_auth reads the 401/407 challenge from it, as OpenSIPS reads `t->uac[branch].reply`).
   */
  getBranchReply(t: Transaction, idx: number): SipMessage | undefined;
  /** t_lookup_original: for a CANCEL being routed, the INVITE transaction it cancels. */
  lookupOriginal(ctx: RouteContext): Transaction | undefined;
  /**
   * Header ops applied to every reply of `t` that tm relays upstream (after onreply_route's ops), for the
   * transaction's life: provisional replies, 2xx, the best final reply, and 2xx retransmissions relayed
   * statelessly after the transaction answered (RFC 6026). Not to replies tm builds itself (t_reply, 100,
   * 408, 487…), which come from the received request. A later call replaces the ops; an empty list clears them.
   * Used by dialog to give a UA back its own CSeq after renumbering.
   */
  setReplyOps(t: Transaction, ops: readonly HeaderOp[]): void;
}

declare module '@core/sip' {
  interface ModuleApis {
    tm: TmApi;
  }
}
