/**
 * Entity replication over the clusterer (cluster_id, capability "b2be-entities-repl"): every change and
 * delete is broadcast as the entity's row; a node that joins asks a synced node for every entity. A
 * replicated entity is a full copy: when requests of the dialog reach this node (after an IP takeover) it
 * handles them as its own; UA sessions resume with E_UA_SESSION, other owners get onRestored.
 */
import type { DbRow } from '@core/sip';
import type { ClustererApi, ReplicatedMessage, ReplicationChannel } from '@mod/clusterer';
import type { B2bEngine, EntitySink } from './engine.js';
import type { Entity } from './entity.js';
import { entityRow, rowEntity } from './storage.js';
import { B2B_CLIENT, B2B_SERVER, type B2bEntityType } from './state.js';
import { UA_MOD_NAME } from './ua-session.js';

export const B2BE_CAPABILITY = 'b2be-entities-repl';

/** A row as JSON (the storage blob as text). */
function wireRow(e: Entity): DbRow {
  const r = entityRow(e);
  return { ...r, storage: Buffer.isBuffer(r['storage']) ? r['storage'].toString('utf8') : (r['storage'] ?? null) };
}

export class EntityReplication implements EntitySink {
  #channel: ReplicationChannel | undefined;
  /** Set while a replicated change is applied: it is not sent back. */
  #applying = false;

  constructor(
    readonly engine: B2bEngine,
    readonly cluster: number,
    /** A replicated entity arrived here for the first time (UA sessions resume, owners are told). */
    readonly adopt: (e: Entity) => void,
    /** A replicated delete: the session around the entity ends here too. */
    readonly drop: (e: Entity) => void,
  ) {}

  register(api: ClustererApi): void {
    this.#channel = api.registerCapability(B2BE_CAPABILITY, this.cluster, {
      onMessage: (m) => this.#onMessage(m),
      onSyncRequest: () => [...this.engine.all()].filter((e) => !e.deleted).map(wireRow),
      onSyncChunk: (items) => {
        for (const it of items) this.#apply(it as DbRow);
      },
    });
  }

  /** Asks a synced node for its entities (or becomes the seed). */
  sync(): Promise<void> {
    return this.#channel?.requestSync() ?? Promise.resolve();
  }

  // Sent after the current task: the row then has what its owner set right after the change (a UA session's flags).
  changed(e: Entity): void {
    if (this.#applying || this.#channel === undefined) return;
    const ch = this.#channel;
    queueMicrotask(() => {
      if (e.deleted) return;
      ch.broadcast('update', wireRow(e)).catch((err: unknown) => this.engine.log.warn({ err, key: e.key }, 'b2b_entities: replication failed'));
    });
  }

  deleted(e: Entity): void {
    if (this.#applying || this.#channel === undefined) return;
    const ch = this.#channel;
    queueMicrotask(() => {
      ch.broadcast('delete', { type: e.type, key: e.key }).catch((err: unknown) => this.engine.log.warn({ err, key: e.key }, 'b2b_entities: replication failed'));
    });
  }

  #onMessage(m: ReplicatedMessage): void {
    if (m.type === 'update') this.#apply(m.payload as DbRow);
    else if (m.type === 'delete') {
      const p = m.payload as { type: B2bEntityType; key: string };
      const e = this.engine.get(p.type === B2B_CLIENT ? B2B_CLIENT : B2B_SERVER, p.key);
      if (e === undefined) return;
      this.#applying = true;
      try {
        this.drop(e);
      } finally {
        this.#applying = false;
      }
    }
  }

  #apply(row: DbRow): void {
    const fresh = rowEntity(this.engine, row);
    if (fresh === undefined) return;
    const old = this.engine.get(fresh.type, fresh.key);
    this.#applying = true;
    try {
      if (old === undefined) {
        this.engine.tables.of(fresh.type).add(fresh);
        this.engine.keys.seen(fresh.key);
        this.engine.changed(fresh); // this node's own storage, if any
        this.adopt(fresh);
        return;
      }
      copyDialog(fresh, old);
      this.engine.changed(old);
      if (old.notify === undefined && old.modName === UA_MOD_NAME) this.adopt(old); // the session's flags came with this update
    } finally {
      this.#applying = false;
    }
  }
}

/** The dialog state of a replicated row onto the entity this node holds (its callbacks and timers stay). */
function copyDialog(from: Entity, to: Entity): void {
  to.state = from.state;
  to.fromTag = from.fromTag;
  to.toTag = from.toTag;
  to.cseq[0] = from.cseq[0];
  to.cseq[1] = from.cseq[1];
  to.contact[0] = from.contact[0];
  to.contact[1] = from.contact[1];
  to.routeSet = from.routeSet;
  to.remoteTarget = from.remoteTarget;
  to.logicKey = from.logicKey;
  to.lastMethod = from.lastMethod;
  to.lastReplyCode = from.lastReplyCode;
  to.lastInviteCseq = from.lastInviteCseq;
  to.answered = from.answered;
  to.inviteReplied = from.inviteReplied;
  to.ownerData = from.ownerData;
}
