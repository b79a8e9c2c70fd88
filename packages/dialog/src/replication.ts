/**
 * Dialog clustering (OpenSIPS `dialog_replication_cluster`): confirmed dialogs are replicated to the other
 * nodes of the cluster through the clusterer's `dialog-dlg-repl` capability — on confirmation and on every
 * later change (state, CSeqs, contacts, values, flags, profiles, timeout) — and their deletes.
 *
 * Sharing tags decide who acts: for a dialog with a tag, only the node where the tag is active sends its
 * pings and timeout BYEs and replicates its delete; the others keep it passively (its timer re-checks, so
 * the node that takes the tag over enforces the timeout). A dialog without a tag is acted on by the node
 * that created it only.
 *
 * A record is the DB row (db.ts `rowOf`: the same fields OpenSIPS replicates) plus the tag. Changes made
 * in one tick are sent as one update per dialog. A starting node syncs from a donor; after a complete
 * (re-)sync, replicated dialogs the donor no longer has are dropped.
 */
import type { Counter, DbRow, ModuleContext } from '@core/sip';
import type { ClustererApi, ReplicatedMessage, ReplicationChannel } from '@mod/clusterer';
import { DIRTY, DLG_FLAG, type Dlg, splitDbId } from './dialog.js';
import { dlgOfRow, rowOf } from './db.js';
import { parseProfilesColumn } from './profiles.js';
import { DlgState } from './state.js';
import type { DialogEngine, EngineCluster } from './engine.js';

type Logger = ModuleContext['log'];

/** The capability name OpenSIPS uses for dialog replication. */
export const DLG_CAPABILITY = 'dialog-dlg-repl';

/** One replicated dialog: its row and sharing tag. */
interface Record_ {
  r: DbRow;
  t: string;
}
interface Delete_ {
  id: number;
  callid: string;
}

export interface ReplicationStats {
  sent: Counter;
  received: Counter;
  errors: Counter;
}

function isRecord(v: unknown): v is Record_ {
  return typeof v === 'object' && v !== null && typeof (v as Record_).r === 'object' && (v as Record_).r !== null && typeof (v as Record_).t === 'string';
}
function isDelete(v: unknown): v is Delete_ {
  return typeof v === 'object' && v !== null && typeof (v as Delete_).id === 'number' && typeof (v as Delete_).callid === 'string';
}

export class DlgReplication implements EngineCluster {
  readonly channel: ReplicationChannel;
  /** Applying what another node sent: the engine's change notices must not be sent back. */
  #applying = false;
  readonly #dirty = new Set<Dlg>();
  #flushQueued = false;
  /** Dialogs an update was sent for: only those get a replicated delete. */
  readonly #announced = new WeakSet<Dlg>();
  /** Ids received in the sync running now. */
  #syncSeen: Set<number> | null = null;

  constructor(
    private readonly engine: DialogEngine,
    readonly api: ClustererApi,
    readonly cluster: number,
    private readonly log: Logger,
    private readonly stats: ReplicationStats,
    private readonly newSlots: () => unknown[],
  ) {
    this.channel = api.registerCapability(DLG_CAPABILITY, cluster, {
      onMessage: (m) => this.#onMessage(m),
      onSyncRequest: () => this.#snapshot(),
      onSyncStart: () => void (this.#syncSeen = new Set()),
      onSyncChunk: (items) => {
        for (const it of items) if (isRecord(it)) this.#applyRecord(it);
      },
      onSyncEnd: (info) => this.#syncEnded(info.complete),
    });
  }

  /** This node leaves the dialog's pings, timeout BYEs and delete to another node. */
  passive(d: Dlg): boolean {
    if (d.shtag !== '') return this.api.getShtagState(d.shtag, this.cluster) !== 'active';
    return (d.flags & DLG_FLAG.REPLICATED) !== 0;
  }

  /** The engine's notice of a persistent change · many per dialog · coalesced to one message per tick. */
  changed(d: Dlg): void {
    if (this.#applying) return;
    this.#dirty.add(d);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  /** dlg_cluster_sync: asks a donor for every dialog again. */
  sync(): Promise<void> {
    return this.channel.requestSync();
  }

  #flush(): void {
    this.#flushQueued = false;
    const list = [...this.#dirty];
    this.#dirty.clear();
    for (const d of list) {
      if (d.alive && d.confirmed) {
        this.#announced.add(d);
        this.#send('update', { r: rowOf(d), t: d.shtag } satisfies Record_);
      } else if (!d.alive && this.#announced.has(d) && !this.passive(d)) {
        this.#announced.delete(d);
        this.#send('delete', { id: d.dbId, callid: d.callid } satisfies Delete_);
      }
    }
  }

  #send(type: string, payload: Record_ | Delete_): void {
    this.stats.sent.inc();
    this.channel.broadcast(type, payload).catch((err: unknown) => {
      this.stats.errors.inc();
      this.log.warn({ err, type }, 'dialog replication message lost');
    });
  }

  #snapshot(): Record_[] {
    const out: Record_[] = [];
    for (const d of this.engine.table.values()) if (d.alive && d.confirmed) out.push({ r: rowOf(d), t: d.shtag });
    return out;
  }

  #onMessage(m: ReplicatedMessage): void {
    this.stats.received.inc();
    if (m.type === 'update' && isRecord(m.payload)) this.#applyRecord(m.payload);
    else if (m.type === 'delete' && isDelete(m.payload)) this.#applyDelete(m.payload);
    else this.stats.errors.inc();
  }

  #applyRecord(rec: Record_): void {
    const parsed = dlgOfRow(rec.r, this.newSlots());
    if (parsed === null) return;
    const incoming = parsed.dlg;
    this.#syncSeen?.add(incoming.dbId);
    const have = this.engine.table.get(incoming.hEntry, incoming.hId);
    this.#applying = true;
    try {
      if (have === undefined) {
        incoming.inDb = false;
        incoming.dirty = DIRTY.NEW;
        incoming.flags |= DLG_FLAG.REPLICATED;
        incoming.shtag = rec.t;
        this.engine.linkLoaded(incoming, parsed.expiresSec, parseProfilesColumn(parsed.profiles), true);
        // Known cluster-wide: if this node ends up ending it (it took the tag over), the delete goes out.
        this.#announced.add(incoming);
        // Written to this node's DB too when it has one (a backup restarting keeps it).
        this.engine.store?.changed(incoming);
        return;
      }
      if (have.callid !== incoming.callid) {
        // Both nodes gave out the same h_entry:h_id (dialogs created on both at once): keep ours.
        this.stats.errors.inc();
        this.log.warn({ id: have.id, callid: incoming.callid }, 'replicated dialog collides with a local dialog id; not taken');
        return;
      }
      if (!have.alive) return;
      // The node holding the tag is the authority for its dialogs: ours are not overwritten by a sync.
      if (this.#syncSeen !== null && !this.passive(have)) return;
      this.#refresh(have, incoming, rec.t, parsed.profiles, parsed.expiresSec);
    } finally {
      this.#applying = false;
    }
  }

  #refresh(d: Dlg, from: Dlg, tag: string, profiles: string, expiresSec: number): void {
    if (from.state === DlgState.CONFIRMED && d.state === DlgState.CONFIRMED_NA) d.state = DlgState.CONFIRMED;
    d.callerCseq = Math.max(d.callerCseq, from.callerCseq);
    d.calleeCseq = Math.max(d.calleeCseq, from.calleeCseq);
    d.callerPingCseq = Math.max(d.callerPingCseq, from.callerPingCseq);
    d.calleePingCseq = Math.max(d.calleePingCseq, from.calleePingCseq);
    d.callerContact = from.callerContact;
    d.calleeContact = from.calleeContact;
    d.callerRouteSet = from.callerRouteSet;
    d.calleeRouteSet = from.calleeRouteSet;
    d.scriptFlags = from.scriptFlags;
    // Our local bits (loaded, replicated) stay; the creator's B/P/p and end bits come over.
    d.flags = (from.flags & ~(DLG_FLAG.LOADED | DLG_FLAG.REPLICATED)) | (d.flags & (DLG_FLAG.LOADED | DLG_FLAG.REPLICATED));
    d.vals = from.vals;
    d.shtag = tag;
    this.engine.profiles.unlinkAll(d);
    for (const p of parseProfilesColumn(profiles)) {
      const def = this.engine.profiles.search(p.name);
      if (def !== undefined) this.engine.profiles.set(d, def, p.value, true);
    }
    const expiresAt = expiresSec > 0 ? expiresSec * 1000 : d.expiresAt;
    if (Math.abs(expiresAt - d.expiresAt) >= 1000) {
      d.expiresAt = expiresAt;
      if (d.startTs > 0) d.timeout = Math.max(1, Math.round(expiresSec - d.startTs));
      this.engine.rearm(d);
    }
    this.engine.store?.changed(d);
  }

  #applyDelete(del: Delete_): void {
    const { hEntry, hId } = splitDbId(del.id);
    const d = this.engine.table.get(hEntry, hId);
    if (d === undefined || d.callid !== del.callid) return;
    this.#applying = true;
    try {
      this.engine.dropReplicated(d, 'replicated delete');
    } finally {
      this.#applying = false;
    }
  }

  /** After a complete sync, replicated dialogs the donor does not have are gone there: drop them here. */
  #syncEnded(complete: boolean): void {
    const seen = this.#syncSeen;
    this.#syncSeen = null;
    if (!complete || seen === null) return;
    const stale: Dlg[] = [];
    for (const d of this.engine.table.values()) {
      if (d.alive && (d.flags & DLG_FLAG.REPLICATED) !== 0 && this.passive(d) && !seen.has(d.dbId)) stale.push(d);
    }
    if (stale.length === 0) return;
    this.#applying = true;
    try {
      for (const d of stale) this.engine.dropReplicated(d, 'not in the donor sync');
    } finally {
      this.#applying = false;
    }
    this.log.info({ dialogs: stale.length }, 'replicated dialogs the donor no longer has were dropped');
  }
}
