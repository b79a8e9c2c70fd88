/**
 * The dialog table: by identity (h_entry, h_id) for the `did` Route param, MI and the DB, and by Call-ID for
 * matching on Call-ID + tags. h_entry is a hash of the Call-ID (OpenSIPS's core_hash), h_id counts per entry.
 */
import type { Dlg } from './dialog.js';

/** FNV-1a over the Call-ID's UTF-16 units: cheap and spreads well over the buckets. */
export function callidHash(callid: string, size: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < callid.length; i++) {
    h ^= callid.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % size;
}

export class DlgTable {
  readonly #byId = new Map<number, Dlg>();
  readonly #byCallid = new Map<string, Dlg | Dlg[]>();
  /** Next h_id per entry (sparse: only entries that were used). */
  readonly #nextId = new Map<number, number>();

  constructor(readonly size: number) {}

  get count(): number {
    return this.#byId.size;
  }

  entryOf(callid: string): number {
    return callidHash(callid, this.size);
  }

  /** A fresh h_id for an entry. */
  newId(hEntry: number): number {
    const id = this.#nextId.get(hEntry) ?? 1;
    this.#nextId.set(hEntry, id >= 0xffff_fffe ? 1 : id + 1);
    return id;
  }

  /** Links a dialog; ids of loaded dialogs push the entry's counter past them. */
  add(d: Dlg): void {
    this.#byId.set(key(d.hEntry, d.hId), d);
    const next = this.#nextId.get(d.hEntry) ?? 1;
    if (d.hId >= next) this.#nextId.set(d.hEntry, d.hId + 1);
    const cur = this.#byCallid.get(d.callid);
    if (cur === undefined) this.#byCallid.set(d.callid, d);
    else if (Array.isArray(cur)) cur.push(d);
    else this.#byCallid.set(d.callid, [cur, d]);
  }

  remove(d: Dlg): boolean {
    const k = key(d.hEntry, d.hId);
    if (this.#byId.get(k) !== d) return false;
    this.#byId.delete(k);
    const cur = this.#byCallid.get(d.callid);
    if (cur === d) this.#byCallid.delete(d.callid);
    else if (Array.isArray(cur)) {
      const rest = cur.filter((x) => x !== d);
      this.#byCallid.set(d.callid, rest.length === 1 ? (rest[0] as Dlg) : rest);
    }
    return true;
  }

  get(hEntry: number, hId: number): Dlg | undefined {
    return this.#byId.get(key(hEntry, hId));
  }

  /**
   * The dialog of an in-dialog request or reply: same Call-ID, and the tags in either order (a request from
   * the callee carries the callee's tag in From). Returns the direction: downstream when From is the caller.
   */
  match(callid: string, fromTag: string, toTag: string): { dlg: Dlg; downstream: boolean } | undefined {
    const cur = this.#byCallid.get(callid);
    if (cur === undefined) return undefined;
    const list = Array.isArray(cur) ? cur : [cur];
    for (const d of list) {
      if (d.fromTag === fromTag && (d.toTag === toTag || d.toTag === '')) return { dlg: d, downstream: true };
      if (d.fromTag === toTag && d.toTag === fromTag) return { dlg: d, downstream: false };
    }
    return undefined;
  }

  byCallid(callid: string): Dlg[] {
    const cur = this.#byCallid.get(callid);
    return cur === undefined ? [] : Array.isArray(cur) ? cur.slice() : [cur];
  }

  values(): IterableIterator<Dlg> {
    return this.#byId.values();
  }

  clear(): void {
    this.#byId.clear();
    this.#byCallid.clear();
  }
}

function key(hEntry: number, hId: number): number {
  return hEntry * 0x1_0000_0000 + hId;
}
