/**
 * One pua record (OpenSIPS `ua_pres_t`): a publication (PUBLISH, RFC 3903) or a subscription dialog
 * (SUBSCRIBE, RFC 6665), with every field set in the constructor so the table holds one object shape.
 */

const NO_ROUTES: readonly string[] = Object.freeze([]);

export type PuaKind = 'publish' | 'subscribe';

/** Where the record stands against the DB write-back (OpenSIPS db_flag). */
export type DbState = 'insert' | 'update' | 'clean';

export class UaPres {
  /** publ_info.id / subs_info.id ('' when none). */
  id: string;
  presUri: string;
  /** Subscriptions only ('' for a publication). */
  watcherUri: string;
  event: number;
  /** The source_flag. */
  flag: number;
  readonly kind: PuaKind;
  /** Absolute expiry, Unix seconds (the granted one). */
  expires: number;
  /** What the user asked for, Unix seconds (refreshes continue until then; 0 = until removed). */
  desiredExpires: number;
  /** Seconds asked for in each request. */
  interval: number;
  // Publication
  etag: string;
  tupleId: string;
  body: string | null;
  contentType: string;
  /** Publications sent for the record (the process_body `ver`). */
  version: number;
  // Shared
  extraHeaders: string;
  outboundProxy: string;
  // Subscription dialog (RFC 3261 12.1.2)
  callId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
  /** Route set, in order (from the 2xx's Record-Route, reversed); publications share one empty array. */
  routes: readonly string[];
  /** Our Contact. */
  contact: string;
  /** Remote target (Contact of the 2xx or of a NOTIFY). */
  remoteContact: string;
  /** Last Subscription-State seen ('' before the first NOTIFY). */
  subState: string;
  /** Cluster sharing tag that owns its expiry ('' without clustering). */
  sharingTag: string;
  dbState: DbState;
  /** Row id in db_table (0 until the engine gives one). */
  dbId: number;
  /** A request for the record is on the wire: refreshes wait for it. */
  busy: boolean;
  /** Unix second its refresh / expiry is due in the engine's timer wheel (0: none). */
  due: number;

  constructor(kind: PuaKind, presUri: string, watcherUri: string, event: number, flag: number, id: string) {
    this.kind = kind;
    this.id = id;
    this.presUri = presUri;
    this.watcherUri = watcherUri;
    this.event = event;
    this.flag = flag;
    this.expires = 0;
    this.desiredExpires = 0;
    this.interval = 0;
    this.etag = '';
    this.tupleId = '';
    this.body = null;
    this.contentType = '';
    this.version = 0;
    this.extraHeaders = '';
    this.outboundProxy = '';
    this.callId = '';
    this.fromTag = '';
    this.toTag = '';
    this.cseq = 0;
    this.routes = NO_ROUTES;
    this.contact = '';
    this.remoteContact = '';
    this.subState = '';
    this.sharingTag = '';
    this.dbState = 'insert';
    this.dbId = 0;
    this.busy = false;
    this.due = 0;
  }

  /** Table key: one record per (kind, presentity, watcher, event, source, id). */
  get key(): string {
    return recordKey(this.kind, this.presUri, this.watcherUri, this.event, this.flag, this.id);
  }
}

export function recordKey(kind: PuaKind, presUri: string, watcherUri: string, event: number, flag: number, id: string): string {
  return `${kind === 'publish' ? 'P' : 'S'}\u0000${presUri}\u0000${watcherUri}\u0000${event}\u0000${flag}\u0000${id}`;
}

/** Key of a subscription dialog as a NOTIFY carries it (Call-ID, our tag = To tag of the NOTIFY, theirs). */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}
