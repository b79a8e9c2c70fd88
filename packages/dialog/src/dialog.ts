/**
 * One dialog (OpenSIPS `struct dlg_cell`). Every field is set in the constructor so all dialogs share one
 * shape; only strings and numbers are kept (never parsed messages), so a confirmed dialog stays near 1–2 KB.
 */
import { DlgState, type DlgStateValue } from './state.js';
import type { DlgCbEntry } from './callbacks.js';
import type { ProfileLink } from './profiles.js';

/** Module flags (the `flags` column / API flags of create_dlg). */
export const DLG_FLAG = {
  /** BYE both sides when the dialog times out. */
  BYEONTIMEOUT: 1 << 0,
  /** Ping the caller with in-dialog OPTIONS. */
  PING_CALLER: 1 << 1,
  /** Ping the callee with in-dialog OPTIONS. */
  PING_CALLEE: 1 << 2,
  /** Ping the caller with in-dialog re-INVITEs (create_dialog "R"). */
  REINVITE_PING_CALLER: 1 << 3,
  /** Ping the callee with in-dialog re-INVITEs (create_dialog "r"). */
  REINVITE_PING_CALLEE: 1 << 4,
  /** Loaded from the DB (not created on this run). */
  LOADED: 1 << 8,
  /** Ended by us (timeout, MI, API), not by a BYE that passed. */
  LOCAL_END: 1 << 9,
  /** A CANCEL matched the initial INVITE. */
  CANCELLED: 1 << 10,
  /** Received from another node of dialog_replication_cluster (replication.ts). */
  REPLICATED: 1 << 11,
} as const;

/** What changed since the last DB write (db_mode 1/2 write only dirty dialogs). */
export const DIRTY = { NONE: 0, NEW: 1, CHANGED: 2 } as const;

export class Dlg {
  /** Hash bucket (from the Call-ID) and id within it: together the dialog's identity (`$DLG_id` = `entry:id`). */
  readonly hEntry: number;
  readonly hId: number;
  state: DlgStateValue = DlgState.UNCONFIRMED;
  /** DLG_FLAG bits. */
  flags: number;
  /** Script dialog flags (set_dlg_flag). */
  scriptFlags = 0;
  readonly callid: string;
  readonly fromUri: string;
  readonly fromTag: string;
  readonly toUri: string;
  toTag = '';
  /** Last CSeq number each side used in a request (the caller's starts at the INVITE's). */
  callerCseq: number;
  calleeCseq = 0;
  /**
   * Last CSeq number each leg was sent once we sent it a request of our own (ping, BYE); 0 before. The gap to
   * the other UA's last CSeq is the shift its relayed requests get (see cseq.ts).
   */
  callerPingCseq = 0;
  calleePingCseq = 0;
  /** Shift of the last INVITE relayed towards each leg, for its ACK (and CANCEL). */
  callerAckShift = 0;
  calleeAckShift = 0;
  /** From / To URIs as relayed to the callee when the script changed them on the initial INVITE, else null. */
  mangledFromUri: string | null = null;
  mangledToUri: string | null = null;
  /** Where to send requests to each side: remote target and route set (name-addrs joined by ','). */
  callerContact: string;
  calleeContact = '';
  callerRouteSet: string;
  calleeRouteSet = '';
  /**
   * The last session description each side offered or answered (kept only for re-INVITE pinging): a ping to
   * one side carries the other side's, so the media stay as they are. '' when unknown.
   */
  callerSdp = '';
  calleeSdp = '';
  /** Our socket facing each side (`udp:127.0.0.1:5060`). */
  callerSock: string;
  calleeSock = '';
  /** Unix seconds of confirmation (0 until then): $DLG_lifetime counts from here. */
  startTs = 0;
  /** $DLG_timeout in seconds, counted from confirmation or from when it was set. */
  timeout: number;
  /** Unix ms at which the dialog expires (0 while no timer runs). */
  expiresAt = 0;
  /** Dialog values (store_dlg_value); null until the first one. */
  vals: Map<string, string> | null = null;
  /** Profiles the dialog belongs to; null until the first one. */
  profiles: ProfileLink[] | null = null;
  /** Per-dialog callbacks; null until the first one. */
  cbs: DlgCbEntry[] | null = null;
  /** Why it ended (terminate reason, `timeout`, `ping`, `bye`), '' while alive. */
  termReason = '';
  /** Id of the initial INVITE's transaction while it is pending, '' after. */
  tId = '';
  /** Consecutive ping failures per side (reset by any answer). */
  callerPingFails = 0;
  calleePingFails = 0;
  /** DIRTY bits for the DB. */
  dirty: number = DIRTY.NEW;
  /** The dialog is in the DB. */
  inDb = false;
  /** Sharing tag (set_dlg_sharing_tag / dlg_sharing_tag): only the node where it is active acts for the dialog. */
  shtag = '';
  /** Timeout handle while the timer runs. */
  timer: NodeJS.Timeout | null = null;
  /** Per-module slots (ctx.slots('dialog')). */
  readonly slots: unknown[];

  constructor(init: {
    hEntry: number;
    hId: number;
    flags: number;
    callid: string;
    fromUri: string;
    fromTag: string;
    toUri: string;
    callerCseq: number;
    callerContact: string;
    callerRouteSet: string;
    callerSock: string;
    timeout: number;
    slots: unknown[];
  }) {
    this.hEntry = init.hEntry;
    this.hId = init.hId;
    this.flags = init.flags;
    this.callid = init.callid;
    this.fromUri = init.fromUri;
    this.fromTag = init.fromTag;
    this.toUri = init.toUri;
    this.callerCseq = init.callerCseq;
    this.callerContact = init.callerContact;
    this.callerRouteSet = init.callerRouteSet;
    this.callerSock = init.callerSock;
    this.timeout = init.timeout;
    this.slots = init.slots;
  }

  /** `$DLG_id`: `h_entry:h_id`. */
  get id(): string {
    return `${this.hEntry}:${this.hId}`;
  }
  /** The `dlg_id` column: h_entry in the high 32 bits, h_id in the low ones (fits 2^53 while h_entry < 2^21). */
  get dbId(): number {
    return this.hEntry * 0x1_0000_0000 + this.hId;
  }
  /** The `did` Record-Route param: entry and id in hex. */
  get did(): string {
    return `${this.hEntry.toString(16)}.${this.hId.toString(16)}`;
  }
  get alive(): boolean {
    return this.state !== DlgState.DELETED;
  }
  get confirmed(): boolean {
    return this.state === DlgState.CONFIRMED || this.state === DlgState.CONFIRMED_NA;
  }
}

export function splitDbId(dbId: number): { hEntry: number; hId: number } {
  return { hEntry: Math.floor(dbId / 0x1_0000_0000), hId: dbId % 0x1_0000_0000 };
}

export function parseDid(did: string): { hEntry: number; hId: number } | null {
  const dot = did.indexOf('.');
  if (dot <= 0) return null;
  const hEntry = parseInt(did.slice(0, dot), 16);
  const hId = parseInt(did.slice(dot + 1), 16);
  if (!Number.isFinite(hEntry) || !Number.isFinite(hId)) return null;
  return { hEntry, hId };
}
