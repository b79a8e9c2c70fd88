/**
 * One b2b entity: a dialog in which we are a UA (server: we answered its initial request; client: we sent
 * it). Leg 0 is the caller, leg 1 the callee, as OpenSIPS indexes cseq/contact/tag: a server entity's local
 * side is the callee (leg 1), a client entity's the caller (leg 0).
 */
import type { SipMessage } from '@core/sip';
import type { Transaction, UacHandle, UacRequest } from '@mod/tm';
import type { B2bAddDlgInfo, B2bNotify, B2bParamFree, B2bRequest } from './api.js';
import { B2B_SERVER, B2bState, DB_FLAG, type B2bEntityType, type B2bStateValue } from './state.js';

export const CALLER_LEG = 0;
export const CALLEE_LEG = 1;

/** A request we sent in the entity and have not had a final reply to. */
export interface PendingUac {
  readonly method: string;
  readonly cseq: number;
  readonly handle: UacHandle;
  /** What was asked, to send it again after a 491 (RFC 3261 14.1). */
  readonly req: B2bRequest;
  /** Generated here (a local PRACK): its replies are not the owner's. */
  readonly local: boolean;
  /** The request as sent, for uac_auth to answer a 401/407 to it. */
  readonly sent: UacRequest;
  /** This one already carries our credentials: a second 401/407 goes to the owner. */
  readonly authed: boolean;
}

/** A reliable provisional reply we sent (RFC 3262 3), retransmitted until its PRACK. */
export interface ReliableOut {
  readonly rseq: number;
  readonly cseq: number;
  timer: NodeJS.Timeout | null;
}

export interface EntityInit {
  type: B2bEntityType;
  key: string;
  hashIndex: number;
  callid: string;
  fromUri: string;
  fromDname: string;
  fromTag: string;
  toUri: string;
  toDname: string;
  toTag: string;
  ruri: string;
  cseqCaller: number;
  cseqCallee: number;
  contactCaller: string;
  contactCallee: string;
  routeSet: readonly string[];
  remoteTarget: string;
  sendSock: string;
  modName: string;
  logicKey: string;
}

export class Entity {
  readonly type: B2bEntityType;
  readonly key: string;
  readonly hashIndex: number;
  readonly callid: string;
  readonly fromUri: string;
  readonly fromDname: string;
  /** Client entities learn the To-tag from the first reply that has one. */
  fromTag: string;
  readonly toUri: string;
  readonly toDname: string;
  toTag: string;
  readonly ruri: string;
  state: B2bStateValue = B2bState.NEW;
  /** [caller, callee] CSeq: the last one each side used. */
  readonly cseq: [number, number];
  /** [caller, callee] Contact URIs. */
  readonly contact: [string, string];
  /** Route set for our requests, first hop first (RFC 3261 12.1). */
  routeSet: readonly string[];
  /** Where our requests go (the remote Contact). */
  remoteTarget: string;
  /** Listen socket name of the entity. */
  sendSock: string;
  modName: string;
  logicKey: string;
  lastInviteCseq = 0;
  lastMethod = '';
  lastReplyCode = 0;
  dbFlag: number = DB_FLAG.INSERT;
  notify: B2bNotify | undefined = undefined;
  param: unknown = undefined;
  free: B2bParamFree | undefined = undefined;
  addDlgInfo: B2bAddDlgInfo | undefined = undefined;
  /** Received requests not answered finally yet, by method (one per method at a time: RFC 3261 14.2 for INVITE). */
  readonly uas = new Map<string, Transaction>();
  /** Requests we sent without a final reply yet, by method. */
  readonly uac = new Map<string, PendingUac>();
  /** The last 2xx to an INVITE we sent and the handle of that INVITE, until we ACK it. */
  ackPending: { handle: UacHandle; ok: SipMessage } | null = null;
  /** ACK every 2xx to our INVITEs at once (false: the owner sends ACK itself, flag `d`). */
  autoAck = true;
  /** Final code we sent to the last INVITE received (0 while none): tells a 2xx's ACK from a hop-by-hop one. */
  inviteReplied = 0;
  /** A 2xx to the initial INVITE was sent (server) or received (client). */
  answered = false;
  /** Set once deleted: late callbacks of its transactions are ignored. */
  deleted = false;
  /** RSeq of the last reliable provisional reply received (RFC 3262 4: a lower or equal one is a retransmission). */
  rseqIn = 0;
  /** RAck for the owner's PRACK (passthru_prack=1): `<rseq> <cseq> INVITE`. */
  rackPending = '';
  /** RSeq of our last reliable provisional reply. */
  rseqOut = 0;
  /** The reliable provisional reply waiting for its PRACK. */
  reliableOut: ReliableOut | null = null;
  /** The owner's data kept with the entity in storage (UA sessions keep their flags and expiry here). */
  ownerData: Record<string, unknown> | undefined = undefined;
  /** Pending 491 retry timer (glare, RFC 3261 14.1). */
  retryTimer: NodeJS.Timeout | null = null;

  constructor(i: EntityInit) {
    this.type = i.type;
    this.key = i.key;
    this.hashIndex = i.hashIndex;
    this.callid = i.callid;
    this.fromUri = i.fromUri;
    this.fromDname = i.fromDname;
    this.fromTag = i.fromTag;
    this.toUri = i.toUri;
    this.toDname = i.toDname;
    this.toTag = i.toTag;
    this.ruri = i.ruri;
    this.cseq = [i.cseqCaller, i.cseqCallee];
    this.contact = [i.contactCaller, i.contactCallee];
    this.routeSet = i.routeSet;
    this.remoteTarget = i.remoteTarget;
    this.sendSock = i.sendSock;
    this.modName = i.modName;
    this.logicKey = i.logicKey;
  }

  get isServer(): boolean {
    return this.type === B2B_SERVER;
  }
  /** Our leg: callee for a server entity, caller for a client one. */
  get localLeg(): number {
    return this.isServer ? CALLEE_LEG : CALLER_LEG;
  }
  get remoteLeg(): number {
    return this.isServer ? CALLER_LEG : CALLEE_LEG;
  }
  /** The CSeq of our next request (ACK and CANCEL reuse their INVITE's instead). */
  nextLocalCseq(): number {
    const l = this.localLeg;
    this.cseq[l] = (this.cseq[l] ?? 0) + 1;
    return this.cseq[l] ?? 1;
  }
  /** From of the requests we send: our side of the dialog. */
  localHeader(): string {
    return this.isServer ? nameAddr(this.toDname, this.toUri, this.toTag) : nameAddr(this.fromDname, this.fromUri, this.fromTag);
  }
  remoteHeader(): string {
    return this.isServer ? nameAddr(this.fromDname, this.fromUri, this.fromTag) : nameAddr(this.toDname, this.toUri, this.toTag);
  }
  get localTag(): string {
    return this.isServer ? this.toTag : this.fromTag;
  }
  get remoteTag(): string {
    return this.isServer ? this.fromTag : this.toTag;
  }
}

export function nameAddr(dname: string, uri: string, tag: string): string {
  const d = dname === '' ? '' : `"${dname.replace(/(["\\])/g, '\\$1')}" `;
  return `${d}<${uri}>${tag === '' ? '' : `;tag=${tag}`}`;
}
