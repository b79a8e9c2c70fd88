/** Entity states, numbered as OpenSIPS's `enum b2b_state` (b2be_list prints the number). */
export const B2bState = {
  UNDEFINED: 0,
  /** Initial INVITE received (server) or sent (client), nothing else yet. */
  NEW: 1,
  /** Initial INVITE sent again with credentials after a 401/407. */
  NEW_AUTH: 2,
  /** A provisional reply with a To-tag was sent or received. */
  EARLY: 3,
  /** 2xx sent or received, its ACK not yet. */
  CONFIRMED: 4,
  /** 2xx acknowledged: the dialog is up. */
  ESTABLISHED: 5,
  /** A re-INVITE is in progress. */
  MODIFIED: 6,
  /** Deleted by its owner (kept while the DB row goes). */
  DESTROYED: 7,
  /** BYE / CANCEL / negative final reply: the dialog is over, the owner deletes it. */
  TERMINATED: 8,
} as const;
export type B2bStateValue = (typeof B2bState)[keyof typeof B2bState];

export const B2B_SERVER = 0;
export const B2B_CLIENT = 1;
/** Entity type, OpenSIPS's `enum b2b_entity_type`. */
export type B2bEntityType = typeof B2B_SERVER | typeof B2B_CLIENT;

export const B2B_REQUEST = 0;
export const B2B_REPLY = 1;
/** What the notify callback is told about. */
export type B2bNotifyType = typeof B2B_REQUEST | typeof B2B_REPLY;

/** db_flag values, as OpenSIPS: nothing to write, an UPDATE, an INSERT. */
export const DB_FLAG = { NO_UPDATE: 0, UPDATE: 1, INSERT: 2 } as const;

/** OpenSIPS method ids (parser/msg_parser.h), printed as last_method. */
const METHOD_IDS: Readonly<Record<string, number>> = {
  INVITE: 1,
  CANCEL: 2,
  ACK: 4,
  BYE: 8,
  INFO: 16,
  OPTIONS: 32,
  UPDATE: 64,
  REGISTER: 128,
  MESSAGE: 256,
  SUBSCRIBE: 512,
  NOTIFY: 1024,
  PRACK: 2048,
  REFER: 4096,
  PUBLISH: 8192,
};
export function methodId(method: string): number {
  return METHOD_IDS[method] ?? 0;
}
export function methodName(id: number): string {
  for (const [k, v] of Object.entries(METHOD_IDS)) if (v === id) return k;
  return '';
}
