/**
 * The dialog API other modules bind (OpenSIPS `load_dlg_api()` / `struct dlg_binds`), with the doc's
 * semantics and camelCase names: `ctx.api('dialog').registerDlgcb(null, DLGCB.CREATED, cb)`.
 */
import type { RouteContext } from '@core/sip';
import type { Dlg } from './dialog.js';
import type { DialogCb, ParamFreeCb } from './callbacks.js';
import type { DlgProfile } from './profiles.js';

export interface DlgApi {
  /**
   * register_dlgcb: `dlg` null for the global DLGCB_LOADED / DLGCB_CREATED (each registered alone), a dialog
   * for the other types (a bit mask of DLGCB values). `freeParam` runs on `param` when the dialog is destroyed
   * (at shutdown for global ones). 0 on success, -1 on bad types.
   */
  registerDlgcb(dlg: Dlg | null, types: number, cb: DialogCb, param?: unknown, freeParam?: ParamFreeCb): number;
  /** create_dlg: tracks the initial INVITE being processed; `flags` DLG_FLAG bits. 0 on success, -1 otherwise. */
  createDlg(ctx: RouteContext, flags: number): number;
  /** get_dlg: the dialog of the message being processed (created or matched), if any. */
  getDlg(ctx: RouteContext): Dlg | undefined;
  /**
   * add_profiles: `"a; b/s"` definitions; 0 on success, -1 on a bad definition (or a `/b` one without
   * cachedb_url). Shared ones are shared whenever they are added: in a module's init (cachedb opens at
   * start) or later (cachedb opens then).
   */
  addProfiles(profiles: string, hasValue: boolean): number;
  /** search_profile. */
  searchProfile(name: string): DlgProfile | undefined;
  /**
   * set_profile: puts the message's dialog in `profile` (with `value` for profiles with value).
   * `isReplicated`: the dialog was set up on another node, which counts it in shared profiles — not us.
   */
  setProfile(ctx: RouteContext, value: string | undefined, profile: DlgProfile, isReplicated?: boolean): number;
  /** unset_profile: 0 when the dialog was in it (with that value), -1 otherwise. */
  unsetProfile(ctx: RouteContext, value: string | undefined, profile: DlgProfile): number;
  /**
   * get_profile_size: dialogs in the profile (with `value` only, when given). For shared (/s) profiles the
   * sum over every node, read from cachedb — hence a promise.
   */
  getProfileSize(profile: DlgProfile, value?: string): Promise<number>;
  /** store_dlg_value: 0, overwriting an existing key. */
  storeDlgValue(dlg: Dlg, name: string, val: string): number;
  /** fetch_dlg_value: the value, undefined when absent (the C version's -1). */
  fetchDlgValue(dlg: Dlg, name: string): string | undefined;
  /**
   * terminate_dlg: ends the dialog h_entry:h_id (BYE both sides; CANCEL while in setup). `reason` is kept
   * as the dialog's termination reason ($DLG_end_reason; 'API Termination' when empty) and sent in a Reason
   * header. 0 on success, -1 when not found.
   */
  terminateDlg(hEntry: number, hId: number, reason: string): number;
  /** match_dialog: makes the dialog of an in-dialog request current; 1 found, -1 not. */
  matchDialog(ctx: RouteContext): number;
  /**
   * validate_dialog: checks an in-dialog request against its dialog. As OpenSIPS: 1 valid; -1 CSeq did not
   * grow, -2 R-URI is not the remote target, -3 Route set differs from the dialog's, -4 other (no dialog).
   */
  validateDialog(ctx: RouteContext, dlg: Dlg): number;
  /** fix_route_dialog: rewrites R-URI, Route set and destination of the request from the dialog. 1 / -1. */
  fixRouteDialog(ctx: RouteContext, dlg: Dlg): number;
  /** tsips: a dialog by its identity (for MI-like tools and other modules). */
  lookupDlg(hEntry: number, hId: number): Dlg | undefined;
}

declare module '@core/sip' {
  interface ModuleApis {
    dialog: DlgApi;
  }
  interface RouteContext {
    /**
     * `create_dialog([flags])`: B bye on timeout, P / p OPTIONS-ping the caller / callee, R / r re-INVITE-ping
     * the caller / callee (reinvite_ping_interval). 1 / -1.
     */
    create_dialog(flags?: string): number;
    /** `match_dialog()`: 1 when the in-dialog request matched a dialog (by did or Call-ID + tags). */
    match_dialog(): number;
    /** `validate_dialog()`: 1 valid; -1 bad CSeq, -2 bad remote target, -3 bad route set, -4 other (no dialog). */
    validate_dialog(): number;
    /** `fix_route_dialog()`. */
    fix_route_dialog(): number;
    /** `$DLG_status`: the state number (1–5), -1 without a dialog. */
    DLG_status(): number;
    /** `$DLG_lifetime`: seconds since confirmation (0 before), -1 without a dialog. */
    DLG_lifetime(): number;
    /**
     * `$DLG_timeout`: read, the seconds until the dialog expires; set with `seconds` (it then expires that long
     * from now). -1 without a dialog.
     */
    DLG_timeout(seconds?: number): number;
    /** `$DLG_dir`: 'downstream' / 'upstream' for in-dialog requests, '' otherwise. */
    DLG_dir(): string;
    /** `$DLG_count`: dialogs in memory that have not ended (in setup or confirmed). */
    DLG_count(): number;
    /** `$DLG_did`: `h_entry:h_id` as dlg_list prints it, '' without a dialog. */
    DLG_did(): string;
    /** `$DLG_id` (tsips): same as `$DLG_did`. */
    DLG_id(): string;
    /** `$DLG_flags`: the script dialog flags as a number, -1 without a dialog. */
    DLG_flags(): number;
    /**
     * `$DLG_end_reason`: why the dialog ended, as OpenSIPS words it ('Upstream BYE', 'Downstream BYE',
     * 'Lifetime Timeout', 'MI Termination', 'Ping Timeout', 'ReINVITE Ping Timeout', 'API Termination', or the
     * reason given to terminateDlg); '' while alive or for a failed call.
     */
    DLG_end_reason(): string;
    set_dlg_flag(flag: number): number;
    reset_dlg_flag(flag: number): number;
    is_dlg_flag_set(flag: number): number;
    /** `test_and_set_dlg_flag(flag, value)`: 1 when the flag had `value` (0/1) and was flipped. */
    test_and_set_dlg_flag(flag: number, value: 0 | 1): number;
    store_dlg_value(name: string, value: string): number;
    /** `$dlg_val(name)`: the value, undefined when absent or without a dialog. */
    fetch_dlg_value(name: string): string | undefined;
    set_dlg_profile(profile: string, value?: string): number;
    unset_dlg_profile(profile: string, value?: string): number;
    is_in_profile(profile: string, value?: string): number;
    /** `get_profile_size(profile[, value])`: the size itself (not a return code). */
    get_profile_size(profile: string, value?: string): Promise<number>;
    /**
     * `get_dialog_info(attr, key, key_val)`: `$dlg_val(attr)` of a live dialog (any, not only the current
     * one) whose `$dlg_val(key)` is `key_val`; undefined when there is none (OpenSIPS's `var` is the return value).
     */
    get_dialog_info(attr: string, key: string, keyVal: string): string | undefined;
    /**
     * `get_dialog_vals(names, vals, callid)`: every value of the live dialog of `callid` into the AVPs
     * `names` and `vals` as parallel arrays (index 0 first); 1 found, -1 not.
     */
    get_dialog_vals(namesAvp: string, valsAvp: string, callid: string): number;
    /** `dlg_end_dlg`-like from the script: ends the current dialog ('API Termination' by default). */
    terminate_dialog(reason?: string): number;
  }
}
