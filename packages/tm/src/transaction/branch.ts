/**
 * One branch of a transaction: the client transaction (RFC 3261 17.1) that carries one copy of the request
 * downstream, with its retransmission and final-response timers and its CANCEL.
 */
import type { SendTarget, ListenSocket, SipMessage } from '@core/sip';
import type { Timer } from './timer-wheel.js';
import type { DnsCursor } from '../dns-failover.js';

/** RFC 3261 17.1.1 (INVITE: calling/proceeding/completed, RFC 6026 accepted) and 17.1.2 (non-INVITE: trying…). */
export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export type CancelState = 'none' | 'pending' | 'sent' | 'answered';

export type BranchTarget = SendTarget & { socket: ListenSocket };

/** Builds the copy of the request for a socket, target and branch id (again on DNS failover). */
export type BranchBuilder = (socket: ListenSocket, target: BranchTarget, branchId: string) => Buffer;

export class Branch {
  state: ClientState;
  /** The copy sent (retransmitted as is). */
  buf: Buffer;
  target: BranchTarget;
  retrTimer: Timer | null = null;
  retrMs = 0;
  frTimer: Timer | null = null;
  /** Last reply code received (provisional or final), 0 when none. */
  code = 0;
  /** The final reply received; undefined for none or a local one (timeout). */
  final: SipMessage | undefined = undefined;
  finalCode = 0;
  /** The final outcome was generated here (408 timeout, 477 send failure). */
  localFinal = false;
  provisional = false;
  cancel: CancelState = 'none';
  cancelBuf: Buffer | null = null;
  cancelTimer: Timer | null = null;
  cancelMs = 0;
  /** ACK sent for a non-2xx (retransmitted when the final reply is). */
  ackBuf: Buffer | null = null;
  /** The remaining RFC 3263 destinations for failover, null when disabled. */
  dests: DnsCursor | null;
  /** Destinations the request's enabled blacklists forbid (use_blacklist), for failover too; null for none. */
  blocked: ((t: SendTarget) => boolean) | null = null;
  /** TCP/TLS connection the copy went out on (its close fails the branch at once); undefined over UDP. */
  connId: number | undefined = undefined;
  #sent: SipMessage | null = null;

  constructor(
    readonly idx: number,
    /** Branch parameter of our Via on this copy. */
    readonly id: string,
    readonly uri: string,
    readonly dstUri: string,
    /** Branch flags (setbflag). */
    public flags: number,
    readonly minor: boolean,
    invite: boolean,
    buf: Buffer,
    target: BranchTarget,
    dests: DnsCursor | null,
    /** Rebuilds the copy for failover; null once the transaction no longer needs it (see Tm.checkDone). */
    public build: BranchBuilder | null,
  ) {
    this.state = invite ? 'calling' : 'trying';
    this.buf = buf;
    this.target = target;
    this.dests = dests;
  }

  get reliable(): boolean {
    return this.target.proto !== 'udp';
  }

  /** Still waiting for a final reply. */
  get pending(): boolean {
    return this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding';
  }

  /** The request as sent, parsed on demand (to build CANCEL and ACK, RFC 3261 9.1 / 17.1.1.3). */
  sent(parse: (b: Buffer) => SipMessage): SipMessage {
    this.#sent ??= parse(this.buf);
    return this.#sent;
  }
  resetSent(): void {
    this.#sent = null;
  }
}
