/**
 * Dialog persistence (db_mode): 1 writes each change as it happens, 2 writes what changed every
 * db_update_period, 3 writes everything on shutdown. Only confirmed dialogs go to the DB (a dialog in setup
 * is owned by its transaction, which does not survive a restart either). Writes are queued in order, so a
 * dialog's insert is never overtaken by its delete.
 */
import { numberOf, textOf, type Db, type DbRow, type ModuleContext } from '@core/sip';
import { DIRTY, Dlg } from './dialog.js';
import { isStateValue, DlgState } from './state.js';
import { serializeProfiles } from './profiles.js';

type Logger = ModuleContext['log'];

export function rowOf(d: Dlg): DbRow {
  let vars: string | null = null;
  if (d.vals !== null && d.vals.size > 0) vars = JSON.stringify(Object.fromEntries(d.vals));
  return {
    dlg_id: d.dbId,
    callid: d.callid,
    from_uri: d.fromUri,
    from_tag: d.fromTag,
    to_uri: d.toUri,
    to_tag: d.toTag,
    mangled_from_uri: d.mangledFromUri,
    mangled_to_uri: d.mangledToUri,
    caller_cseq: String(d.callerCseq),
    callee_cseq: String(d.calleeCseq),
    caller_ping_cseq: d.callerPingCseq,
    callee_ping_cseq: d.calleePingCseq,
    caller_route_set: d.callerRouteSet,
    callee_route_set: d.calleeRouteSet,
    caller_contact: d.callerContact,
    callee_contact: d.calleeContact,
    caller_sock: d.callerSock,
    callee_sock: d.calleeSock,
    state: d.state,
    start_time: d.startTs,
    timeout: d.expiresAt === 0 ? 0 : Math.ceil(d.expiresAt / 1000),
    vars,
    profiles: serializeProfiles(d.profiles),
    script_flags: d.scriptFlags,
    module_flags: 0,
    flags: d.flags,
  };
}

/** A row back into a dialog (profiles are relinked by the caller, which knows the definitions). */
export function dlgOfRow(row: DbRow, slots: unknown[]): { dlg: Dlg; profiles: string; expiresSec: number } | null {
  const state = numberOf(row['state']);
  if (!isStateValue(state) || state === DlgState.DELETED) return null;
  const dbId = numberOf(row['dlg_id']);
  const d = new Dlg({
    hEntry: Math.floor(dbId / 0x1_0000_0000),
    hId: dbId % 0x1_0000_0000,
    flags: numberOf(row['flags']),
    callid: textOf(row['callid']),
    fromUri: textOf(row['from_uri']),
    fromTag: textOf(row['from_tag']),
    toUri: textOf(row['to_uri']),
    callerCseq: numberOf(row['caller_cseq']),
    callerContact: textOf(row['caller_contact']),
    callerRouteSet: textOf(row['caller_route_set']),
    callerSock: textOf(row['caller_sock']),
    timeout: 0,
    slots,
  });
  d.state = state;
  d.toTag = textOf(row['to_tag']);
  d.calleeCseq = numberOf(row['callee_cseq']);
  d.callerPingCseq = numberOf(row['caller_ping_cseq']);
  d.calleePingCseq = numberOf(row['callee_ping_cseq']);
  d.calleeContact = textOf(row['callee_contact']);
  d.calleeRouteSet = textOf(row['callee_route_set']);
  d.calleeSock = textOf(row['callee_sock']);
  const mf = textOf(row['mangled_from_uri']);
  const mt = textOf(row['mangled_to_uri']);
  if (mf !== '') d.mangledFromUri = mf;
  if (mt !== '') d.mangledToUri = mt;
  d.startTs = numberOf(row['start_time']);
  d.scriptFlags = numberOf(row['script_flags']);
  const vars = textOf(row['vars']);
  if (vars !== '') {
    try {
      const o: unknown = JSON.parse(vars);
      if (o !== null && typeof o === 'object') {
        for (const [k, v] of Object.entries(o)) if (typeof v === 'string') (d.vals ??= new Map()).set(k, v);
      }
    } catch {
      // Values written by another tool: keep the dialog, lose the values.
    }
  }
  d.inDb = true;
  d.dirty = DIRTY.NONE;
  return { dlg: d, profiles: textOf(row['profiles']), expiresSec: numberOf(row['timeout']) };
}

/** Rows per statement of the shutdown flush. */
const BULK = 1000;

export class DlgStore {
  #chain: Promise<void> = Promise.resolve();
  /** db_mode 2: dialogs waiting for the next period. */
  readonly #pending = new Set<Dlg>();
  /** Deletes of ended dialogs queued or running, until written (or failed). */
  readonly #deleting = new Map<Dlg, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly db: Db,
    readonly table: string,
    readonly mode: 1 | 2 | 3,
    private readonly log: Logger,
    /** Called after each write of a dialog (DLGCB_SAVED). */
    private readonly saved: (d: Dlg) => void,
  ) {}

  /** Starts the periodic flush (db_mode 2, and retries of failed writes in db_mode 1). */
  startPeriodic(periodSec: number): void {
    if (this.mode === 3) return;
    this.#timer = setInterval(() => void this.flush(), periodSec * 1000);
    this.#timer.unref();
  }

  /**
   * A dialog changed: written now (mode 1), at the next period (mode 2) or at shutdown (mode 3). An ended
   * dialog's row is deleted at once in modes 1 and 2, so its DLGCB_SAVED comes before it is destroyed.
   */
  changed(d: Dlg): void {
    if (!d.inDb && (!d.confirmed || !d.alive)) return; // never written, nothing to do
    if (this.mode === 3) return;
    if (!d.alive) {
      if (this.#deleting.has(d)) return;
      this.#pending.delete(d);
      const p = this.#enqueue(() => this.#write(d)).finally(() => this.#deleting.delete(d));
      this.#deleting.set(d, p);
      return;
    }
    this.#pending.add(d);
    if (this.mode === 1) void this.flush(); // never rejects: #enqueue logs a failed write
  }

  /** The pending delete of an ended dialog (resolves once written or failed), if one is queued. */
  deleting(d: Dlg): Promise<void> | undefined {
    return this.#deleting.get(d);
  }

  /** Writes every pending dialog (dlg_db_sync without `all`). */
  flush(): Promise<void> {
    if (this.#pending.size === 0) return this.#chain;
    const batch = [...this.#pending];
    this.#pending.clear();
    return this.#enqueue(async () => {
      for (const d of batch) await this.#write(d);
    });
  }

  /** Writes every live confirmed dialog (db_mode 3 shutdown, dlg_db_sync). */
  syncAll(dialogs: Iterable<Dlg>): Promise<void> {
    const list = [...dialogs];
    for (const d of list) this.#pending.delete(d);
    return this.#enqueue(async () => {
      for (const d of list) {
        d.dirty = DIRTY.CHANGED;
        await this.#write(d);
      }
    });
  }

  /**
   * The shutdown flush (issue 12 item 6): `dialogs` written with REPLACE in bulk (BULK rows a statement),
   * after the writes already queued; a failed batch (DB away) is retried until `deadline` (Date.now() ms).
   * Returns how many could not be written.
   */
  async flushBulk(dialogs: readonly Dlg[], deadline: number): Promise<number> {
    for (const d of dialogs) this.#pending.delete(d);
    await this.#chain;
    const live = dialogs.filter((d) => d.alive && d.confirmed);
    let delay = 50;
    let logged = false;
    for (let i = 0; i < live.length;) {
      const batch = live.slice(i, i + BULK);
      try {
        await this.db.replaceMany(this.table, batch.map(rowOf));
      } catch (err) {
        const left = deadline - Date.now();
        if (left <= delay) {
          this.log.error({ err, lost: live.length - i }, 'dialog shutdown flush: DB still failing at the end of db_shutdown_timeout; dialogs lost');
          return live.length - i;
        }
        if (!logged) this.log.warn({ err, dialogs: live.length - i }, 'dialog shutdown flush: DB write failed, retrying until db_shutdown_timeout');
        logged = true;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
        continue;
      }
      for (const d of batch) {
        d.inDb = true;
        d.dirty = DIRTY.NONE;
        this.saved(d);
      }
      i += batch.length;
    }
    return 0;
  }

  /** Dialogs waiting for the next period (db_mode 2). */
  pendingDialogs(): Dlg[] {
    return [...this.#pending];
  }

  /** Stops the periodic flush without writing (the shutdown flush follows). */
  stopPeriodic(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async load(): Promise<DbRow[]> {
    return this.db.select(this.table);
  }

  /** Removes every row (db_mode 3 after loading: memory is the truth until the next shutdown). */
  clearTable(): Promise<void> {
    return this.#enqueue(async () => {
      await this.db.delete(this.table, {});
    });
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
    await this.#chain;
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(op).catch((err: unknown) => this.log.error({ err }, 'dialog DB write failed'));
    return this.#chain;
  }

  async #write(d: Dlg): Promise<void> {
    try {
      if (!d.alive) {
        if (d.inDb) await this.db.delete(this.table, { dlg_id: d.dbId });
        d.inDb = false;
      } else if (d.confirmed) {
        await this.db.replace(this.table, rowOf(d));
        d.inDb = true;
      } else return;
      d.dirty = DIRTY.NONE;
      this.saved(d);
    } catch (err) {
      this.log.warn({ err, callid: d.callid }, 'dialog DB write failed: retried at the next period');
      this.#pending.add(d);
    }
  }
}
