/**
 * The b2b_entities API other modules bind (OpenSIPS `load_b2b_api()` / `b2b_api_t`): create server and
 * client entities, send requests and replies in them, and hear about what arrives in them.
 *
 * The owner (the module that created an entity) deletes it: b2b_entities never does, even after a BYE, a
 * CANCEL or a negative final reply (state TERMINATED). Misuse (unknown key, wrong state, bad method)
 * throws a B2bError that names it; a return of 0 is success, as in OpenSIPS.
 */
import type { RouteContext, SipMessage } from '@core/sip';
import type { B2bEntityType, B2bNotifyType } from './state.js';

/** What the notify callback is told. */
export interface B2bNotifyInfo {
  /** B2B_REQUEST or B2B_REPLY. */
  readonly type: B2bNotifyType;
  readonly entityType: B2bEntityType;
  readonly key: string;
  /**
   * The request received, or the reply to a request the entity sent; undefined for a reply tm generated
   * (408 on timeout, 503 when it could not be sent), whose code is in `code`.
   */
  readonly msg: SipMessage | undefined;
  /** Method of the request (of the request replied to, for a reply). */
  readonly method: string;
  /** Reply code (0 for requests). */
  readonly code: number;
  readonly reason: string;
  /** The `param` given when the entity was created (or restored). */
  readonly param: unknown;
}

/**
 * b2b_notify_t · every request received inside the entity (ACK and CANCEL included; retransmissions
 * excluded) and every reply to a request it sent (provisional and final; 2xx retransmissions excluded).
 */
export type B2bNotify = (info: B2bNotifyInfo) => void;

/** The dialog identifiers of an entity (b2b_dlginfo_t), for a perfect match on send/delete. */
export interface B2bDlgInfo {
  readonly callid: string;
  readonly fromTag: string;
  readonly toTag: string;
}

/** b2b_add_dlginfo_t · once, on the 2xx to a client entity's initial INVITE, with its complete dialog ids. */
export type B2bAddDlgInfo = (info: B2bDlgInfo, key: string, param: unknown) => void;

/** Called when the entity is deleted, to release `param` (b2b_param_free_cb). */
export type B2bParamFree = (param: unknown) => void;

export interface B2bOwner {
  notify: B2bNotify;
  /** Module name of the owner (mod_name in b2be_list and the DB). */
  modName: string;
  /** The owner's own key for this entity (the b2b_logic tuple key), stored and listed. */
  logicKey?: string;
  param?: unknown;
  free?: B2bParamFree;
  /** Do not ACK the 2xx to INVITEs this entity sends: the owner sends ACK (send_request ACK), with the answer SDP when the offer was in the 2xx. */
  noAutoAck?: boolean;
}

/** client_info_t: the initial request of a client entity. */
export interface B2bClientInfo {
  /** INVITE (default) or another dialog-creating method. */
  method?: string;
  ruri: string;
  /** From and To as `uri` or `"Display" <uri>`; a From tag is generated. */
  from: string;
  to: string;
  /** Outbound proxy / next hop. */
  proxy?: string;
  body?: Buffer | string;
  contentType?: string;
  /** `Name: value` lines (CRLF or LF separated), or pairs. */
  extraHeaders?: string | readonly [string, string][];
  /** Listen socket to send from (`udp:127.0.0.1:5060`). */
  socket?: string;
  /** Our Contact URI; built from the sending socket when omitted. */
  localContact?: string;
}

export interface B2bRequest {
  method: string;
  extraHeaders?: string | readonly [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

export interface B2bReply {
  /** The method replied to (the entity may have several requests pending); the only pending one by default. */
  method?: string;
  code: number;
  text?: string;
  extraHeaders?: string | readonly [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

export interface B2bApi {
  /**
   * b2b_server_new: a server entity for the initial request the route is processing (its transaction is
   * created); returns the key, which is the To-tag of every reply we send in it.
   */
  server_new(ctx: RouteContext, owner: B2bOwner, localContact?: string): string;
  /** b2b_client_new: a client entity, sending its initial request now; returns the key (its Call-ID). */
  client_new(info: B2bClientInfo, owner: B2bOwner & { addDlgInfo?: B2bAddDlgInfo }): string;
  /** b2b_send_request: a request inside the entity (ACK of a 2xx, BYE, re-INVITE, UPDATE…); 0 on success. */
  send_request(et: B2bEntityType, key: string, req: B2bRequest, dlginfo?: B2bDlgInfo): number;
  /** b2b_send_reply: a reply to a request received inside the entity; 0 on success. */
  send_reply(et: B2bEntityType, key: string, rep: B2bReply, dlginfo?: B2bDlgInfo): number;
  /** b2b_entity_delete: the owner deletes its entity (pending transactions are answered / cancelled). */
  entity_delete(et: B2bEntityType, key: string, dlginfo?: B2bDlgInfo): void;
  /** b2b_restore_linfo: after a restart (entities loaded from the DB), gives a restored entity its callback back; 0, or -1 for an unknown key. */
  restore_logic_info(et: B2bEntityType, key: string, notify: B2bNotify, param?: unknown, free?: B2bParamFree): number;
  /** b2b_update_b2bl_param: changes the owner's logic key of an entity; 0, or -1 for an unknown key. */
  update_b2bl_param(et: B2bEntityType, key: string, logicKey: string): number;
  /**
   * Called once per entity loaded from storage at start (restart persistence, cluster sync), so its owner
   * can call restore_logic_info; `modName` and `logicKey` are the stored ones.
   */
  onRestored(cb: (et: B2bEntityType, key: string, modName: string, logicKey: string) => void): void;
}

declare module '@core/sip' {
  interface ModuleApis {
    b2b_entities: B2bApi;
  }
}
