/**
 * Dialog callbacks (OpenSIPS dlg_cb.h): bit values so several types register at once, a global list for
 * LOADED/CREATED and a per-dialog list for the rest. Each type says when it fires and how often.
 */
import type { SipMessage } from '@core/sip';
import type { Dlg } from './dialog.js';

export const DLGCB = {
  /** A dialog was loaded into memory from the DB (start, dlg_restore_db) · once per loaded dialog · global only · msg undefined. */
  LOADED: 1 << 0,
  /** create_dialog()/createDlg() ran and the initial INVITE's transaction is set up · once per dialog · global only · msg = the INVITE. */
  CREATED: 1 << 1,
  /** The INVITE got a negative final reply (3xx–6xx, incl. 487 after CANCEL) that went upstream · once · msg = that reply (undefined for a local timeout). */
  FAILED: 1 << 2,
  /** The 2xx to the initial INVITE went upstream · once per dialog · not for re-INVITEs · msg = the 2xx. */
  CONFIRMED: 1 << 3,
  /** An in-dialog request matched the dialog (loose_route with did, or match_dialog) · every such request · msg = the request, direction set. */
  REQ_WITHIN: 1 << 4,
  /** The dialog ended by BYE or by termination (MI, API, ping failure) · once · msg = the BYE (undefined when we ended it). */
  TERMINATED: 1 << 5,
  /** The dialog outlived $DLG_timeout · once · msg undefined. */
  EXPIRED: 1 << 6,
  /** The first provisional reply (> 100) to the initial INVITE went upstream · once · msg = that reply. */
  EARLY: 1 << 7,
  /** A reply to the initial INVITE was relayed upstream · each relayed reply · msg = the reply. */
  RESPONSE_FWDED: 1 << 8,
  /** A reply to an in-dialog request was relayed (the BYE's too: the dialog is kept, deleted, until that transaction ends) · each relayed reply · msg = the reply, direction of its request. */
  RESPONSE_WITHIN: 1 << 9,
  /** dlg_list_ctx is listing this dialog · each listing · dlgData = the context object to add fields to. */
  MI_CONTEXT: 1 << 10,
  /**
   * The dialog was unlinked from the table and is about to be dropped (after its DB row was deleted, when it had
   * one) · once · msg undefined. The only callback of a dialog whose INVITE never got a transaction (stateless
   * reply, drop, exit): it fires when the request route finishes.
   */
  DESTROY: 1 << 11,
  /** The dialog was written to the DB, or its row deleted at the end (before DESTROY) · each write · msg undefined. */
  SAVED: 1 << 12,
} as const;
export type DlgcbName = keyof typeof DLGCB;

/** Direction of the message, as OpenSIPS DLG_DIR_*. */
export const DLG_DIR = { NONE: 0, DOWNSTREAM: 1, UPSTREAM: 2 } as const;
export type DlgDir = (typeof DLG_DIR)[keyof typeof DLG_DIR];

/** `struct dlg_cb_params`. */
export interface DlgCbParams {
  /** The SIP message that triggered the callback, when there is one. */
  readonly msg: SipMessage | undefined;
  /** Caller → callee is downstream. */
  readonly direction: DlgDir;
  /** Per-type data: the MI context object for MI_CONTEXT, the termination reason for TERMINATED, else undefined. */
  readonly dlgData: unknown;
  /** What was given at registration. */
  readonly param: unknown;
}

export type DialogCb = (dlg: Dlg, type: number, params: DlgCbParams) => void;
export type ParamFreeCb = (param: unknown) => void;

export interface DlgCbEntry {
  readonly types: number;
  readonly cb: DialogCb;
  readonly param: unknown;
  readonly free: ParamFreeCb | undefined;
}

export const GLOBAL_ONLY = DLGCB.LOADED | DLGCB.CREATED;
const ALL = Object.values(DLGCB).reduce((a, b) => a | b, 0);

export function validCbTypes(types: number, perDialog: boolean): string | null {
  if (!Number.isInteger(types) || types <= 0 || (types & ~ALL) !== 0) return `unknown callback types 0x${types.toString(16)}`;
  if (perDialog && (types & GLOBAL_ONLY) !== 0) return 'DLGCB_LOADED and DLGCB_CREATED are global: register them without a dialog';
  if (!perDialog && (types & ~GLOBAL_ONLY) !== 0) return 'only DLGCB_LOADED and DLGCB_CREATED can be registered without a dialog';
  if (!perDialog && types !== DLGCB.LOADED && types !== DLGCB.CREATED) return 'DLGCB_LOADED and DLGCB_CREATED must be registered alone';
  return null;
}

export function cbName(type: number): string {
  for (const [k, v] of Object.entries(DLGCB)) if (v === type) return `DLGCB_${k}`;
  return `0x${type.toString(16)}`;
}
