/**
 * A transaction as tm keeps it (OpenSIPS `struct cell`): the server side (RFC 3261 17.2) for a received
 * request, or none for a local one, and its branches (client transactions). All fields are set here.
 */
import type { HeaderOp, ReceiveInfo, RouteContext, SendTarget, SipMessage } from '@core/sip';
import type { Transaction, TmCallback, TmcbType, UacCallbacks, UacOutcome } from '../api.js';
import type { Branch } from './branch.js';
import type { Timer } from './timer-wheel.js';

/** RFC 3261 17.2.1 (INVITE: proceeding/completed/confirmed, RFC 6026 accepted) and 17.2.2 (non-INVITE). */
export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** What a local (UAC) transaction reports to the module that started it. */
export interface LocalSide {
  cb: UacCallbacks | undefined;
  resolve: (o: UacOutcome) => void;
  done: boolean;
  /** The ACK for the 2xx (sendAck), resent when the 2xx is retransmitted. */
  ack: { buf: Buffer; target: SendTarget } | null;
}

export class Cell implements Transaction {
  readonly id: string;
  #data: Map<string, unknown> | null = null;
  status = 0;
  flags = 0;
  cancelled = false;
  readonly branches: Branch[] = [];
  state: ServerState;
  /** Last reply sent upstream, resent on a request retransmission. */
  lastReply: Buffer | null = null;
  lastReplyCode = 0;
  /** Replies sent upstream, and whether the last was generated here (t_local_replied('last')). */
  repliesSent = 0;
  lastReplyLocal = false;
  /** To tag of our local replies. */
  readonly toTag: string;
  retrTimer: Timer | null = null;
  retrMs = 0;
  /** A 2xx of ours to this INVITE is retransmitted over UDP until its ACK (RFC 3261 13.3.1.4); ms spent so far. */
  awaitingAck = false;
  /** The branch whose reply was picked as the outcome (t_get_picked_branch), -1 while none. */
  picked = -1;
  /**
   * First branch of the current serial round: branches a failure_route creates start a new round, and only
   * its replies compete for the outcome and the challenges sent upstream (OpenSIPS `t->first_branch`), so a
   * 401 answered with credentials in failure_route does not win again over the reply to the retry.
   */
  firstBranch = 0;
  ackWaitedMs = 0;
  waitTimer: Timer | null = null;
  /** Frees a transaction the script created (t_newtran) but never answered nor relayed. */
  guardTimer: Timer | null = null;
  onFailure: string | null = null;
  onReply: string | null = null;
  onBranch: string | null = null;
  cbs: { types: ReadonlySet<TmcbType>; cb: TmCallback }[] | null = null;
  /** The request's route context: its AVPs are the transaction's. */
  ctx: RouteContext | null = null;
  relayFlags = 0;
  frMs: number;
  frInvMs: number;
  /** Routes or sends in progress: the transaction is not freed under them (delete_timer). */
  refs = 0;
  /** Branches being created or failure_route running: the final reply is decided after them. */
  busy = 0;
  deleted = false;
  /** 6xx received: no new branches (disable_6xx_block=0). */
  noNewBranches = false;
  /** Serialises reply processing of this transaction (routes may be async). */
  queue: Promise<void> = Promise.resolve();
  /** The received top Via with received/rport, for local replies. */
  topVia: string | undefined;
  /** Where replies go (RFC 3261 18.2.2). */
  replyTarget: SendTarget | null;
  local: LocalSide | null;
  /** The e2e ACK key when this is an INVITE. */
  dlgKey: string | null = null;
  /** Header ops for every reply relayed upstream (TmApi.setReplyOps), after onreply_route's; null for none. */
  replyOps: readonly HeaderOp[] | null = null;

  constructor(
    readonly hashIndex: number,
    readonly label: number,
    readonly method: string,
    /** Mutable for local transactions: the template first, the copy sent once there is one. */
    public request: SipMessage,
    /** Server matching key, null for local transactions. */
    readonly key: string | null,
    readonly rinfo: ReceiveInfo | null,
    toTag: string,
    frMs: number,
    frInvMs: number,
    local: LocalSide | null,
  ) {
    this.id = `${hashIndex}:${label}`;
    this.state = method === 'INVITE' ? 'proceeding' : 'trying';
    this.toTag = toTag;
    this.frMs = frMs;
    this.frInvMs = frInvMs;
    this.replyTarget = null;
    this.local = local;
    this.topVia = undefined;
  }

  /** Made on first use: most transactions never carry module data, and a Map costs ~300 bytes each. */
  get data(): Map<string, unknown> {
    return (this.#data ??= new Map<string, unknown>());
  }

  get isLocal(): boolean {
    return this.local !== null;
  }
  get isInvite(): boolean {
    return this.method === 'INVITE';
  }
  get branchCount(): number {
    return this.branches.length;
  }
  /** A final reply was sent upstream (or the local outcome delivered). */
  get answered(): boolean {
    return this.status >= 200;
  }
  get pendingBranches(): number {
    let n = 0;
    for (const b of this.branches) if (b.pending) n++;
    return n;
  }
}
