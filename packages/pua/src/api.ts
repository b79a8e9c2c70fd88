/**
 * The pua API other modules bind (OpenSIPS `load_pua_api()` / `pua_api_t`): send_publish, send_subscribe,
 * is_dialog, register_puacb and add_event, with the doc's fields under camelCase names. pua_mi and
 * pua_dialoginfo use it; so will pua_usrloc, pua_bla or an XMPP gateway.
 *
 * This file is the contract between pua and its users: change it only together with them.
 */
import type { SipMessage } from '@core/sip';
import type { UaPres } from './record.js';

/** publ_info.flag / subs_info.flag: a new record, or an update of the one found (OpenSIPS INSERT_TYPE / UPDATE_TYPE). */
export const PUA_FLAG = { INSERT_TYPE: 1, UPDATE_TYPE: 2 } as const;

/** source_flag: which module a record belongs to; also the `types` of register_puacb. */
export const PUA_SOURCE = {
  BLA_PUBLISH: 1 << 0,
  BLA_SUBSCRIBE: 1 << 1,
  XMPP_PUBLISH: 1 << 2,
  XMPP_SUBSCRIBE: 1 << 3,
  XMPP_INITIAL_SUBS: 1 << 4,
  MI_PUBLISH: 1 << 5,
  MI_ASYN_PUBLISH: 1 << 6,
  MI_SUBSCRIBE: 1 << 7,
  RLS_SUBSCRIBE: 1 << 8,
  DIALOG_PUBLISH: 1 << 9,
  UL_PUBLISH: 1 << 10,
} as const;

/** Event flags; pua registers the first four itself, pua_dialoginfo adds DIALOG_EVENT with add_event. */
export const PUA_EVENT = {
  PRESENCE_EVENT: 1 << 0,
  PWINFO_EVENT: 1 << 1,
  BLA_EVENT: 1 << 2,
  MSGSUM_EVENT: 1 << 3,
  DIALOG_EVENT: 1 << 4,
  CONFERENCE_EVENT: 1 << 5,
} as const;

/**
 * evs_process_body_t: turns the body given to send_publish into the body sent. `ver` counts the PUBLISHes
 * sent for the record; `tuple` is the record's stored tuple id (undefined on an initial PUBLISH, when the
 * function may return one to store). null: refuse to publish (send_publish resolves with code -1).
 */
export type ProcessBody = (publ: PublInfo, ver: number, tuple: string | undefined) => { body: string; tuple?: string } | null;

/** The outcome a reply callback and the send_publish / send_subscribe promise get. */
export interface PuaOutcome {
  /** Final SIP code (408 on timeout, 503 when it could not be sent), or -1 for a local error (nothing sent). */
  readonly code: number;
  readonly reason: string;
  /** The final reply; undefined when generated locally. */
  readonly reply: SipMessage | undefined;
  /** PUBLISH: the ETag the presence server gave (SIP-ETag of the 2xx). */
  readonly etag?: string | undefined;
  /** The record (undefined after a remove, or on a local error). */
  readonly record?: UaPres | undefined;
}

/** publrpl_cb_t: the reply (or local outcome) of a PUBLISH sent by send_publish · once per send_publish call. */
export type PublishReplyCb = (outcome: PuaOutcome, param: unknown) => void;

/** publ_info_t. */
export interface PublInfo {
  /** Optional; unique for one combination of presUri and sourceFlag (several publications of one presentity). */
  id?: string;
  /** The presentity URI (To, From and Request-URI of the PUBLISH). */
  presUri: string;
  /** Body; null/undefined for a refresh of the stored one (Expires only). */
  body?: string | null;
  /** Seconds; 0 removes the publication; negative: default_expires. Raised to min_expires when lower. */
  expires: number;
  /** PUA_FLAG; when missing, INSERT or UPDATE by whether a record is found. */
  flag?: number;
  /** PUA_SOURCE. */
  sourceFlag: number;
  /** PUA_EVENT (registered with add_event). */
  event: number;
  /** Defaults to the event's content type. */
  contentType?: string;
  /** SIP-If-Match to send (a modify or refresh of a publication not in our table). */
  etag?: string;
  /** Extra header lines, CRLF separated (`X-A: 1\r\nX-B: 2`). */
  extraHeaders?: string;
  cbrpl?: PublishReplyCb;
  cbparam?: unknown;
  /** Next hop (`sip:127.0.0.1:5090`), like OpenSIPS's outbound_proxy. */
  outboundProxy?: string;
}

/** subs_info_t. */
export interface SubsInfo {
  /** Optional; unique for one combination of presUri, watcherUri and sourceFlag. */
  id?: string;
  presUri: string;
  watcherUri: string;
  /** Contact of the SUBSCRIBE (where NOTIFYs go); defaults to the first listen socket. */
  contact?: string;
  /** Request-URI of the initial SUBSCRIBE; presUri when missing. */
  remoteTarget?: string;
  outboundProxy?: string;
  /** PUA_EVENT. */
  event: number;
  /** Seconds; 0 ends the subscription; negative: default_expires. */
  expires: number;
  flag?: number;
  sourceFlag: number;
  /** Extra header lines, CRLF separated. */
  extraHeaders?: string;
}

/** The reply's first line (OpenSIPS `struct msg_start`). */
export interface PuaFirstLine {
  readonly code: number;
  readonly reason: string;
}

/**
 * pua_cb: fires for the records whose sourceFlag is in the registered `types`:
 * - with `fl` the first line of a final reply to a SUBSCRIBE or PUBLISH sent for the record · once per request;
 * - with `fl` undefined and `notify` set, on each NOTIFY of a subscription dialog (after pua answered 200; consume_notify=1 only).
 */
export type PuaCb = (record: UaPres, fl: PuaFirstLine | undefined, param: unknown, notify?: SipMessage) => void;

export interface PuaEventDef {
  readonly flag: number;
  readonly name: string;
  /** Default content type of PUBLISH bodies (undefined for winfo). */
  readonly contentType: string | undefined;
  readonly processBody: ProcessBody | undefined;
}

export interface PuaApi {
  /** send_publish: resolves when the PUBLISH (and any 412/423/401 retry) ended; never rejects. */
  sendPublish(publ: PublInfo): Promise<PuaOutcome>;
  /** send_subscribe: resolves on the final reply of the (re-)SUBSCRIBE; never rejects. */
  sendSubscribe(subs: SubsInfo): Promise<PuaOutcome>;
  /** is_dialog: 0 when `record` is a stored, established SUBSCRIBE dialog, -1 otherwise. */
  isDialog(record: UaPres): number;
  /** register_puacb: 0, or -1 when `types` is 0. */
  registerPuacb(types: number, cb: PuaCb, param?: unknown): number;
  /** add_event: 0, or -1 when the flag or the name is already registered. */
  addEvent(evFlag: number, name: string, contentType: string | undefined, processBody: ProcessBody | undefined): number;
  /** tsips: the records in memory (for MI and tests). */
  records(): IterableIterator<UaPres>;
  /** tsips: the event registered for `flag`, or by name. */
  event(flagOrName: number | string): PuaEventDef | undefined;
}

declare module '@core/sip' {
  interface ModuleApis {
    pua: PuaApi;
  }
  interface RouteContext {
    /** `pua_update_contact()`: on a NOTIFY of a pua subscription, its Contact becomes the remote target. 1 / -1. */
    pua_update_contact(): number;
  }
}
