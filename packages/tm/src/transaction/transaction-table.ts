/**
 * The transaction table: server transactions by their matching key, every transaction by id
 * (`hash:label`), branches by their random id (syn_branch=0), INVITEs by Call-ID/From tag/CSeq for the
 * end-to-end ACK.
 */
import type { Cell } from './cell.js';
import type { Branch } from './branch.js';

export class TransactionTable {
  readonly #byKey = new Map<string, Cell>();
  readonly #byId = new Map<string, Cell>();
  readonly #byBranch = new Map<string, { cell: Cell; br: Branch }>();
  readonly #byDialog = new Map<string, Cell>();
  #label = 0;

  get size(): number {
    return this.#byId.size;
  }
  nextLabel(): number {
    this.#label = (this.#label + 1) >>> 0;
    return this.#label;
  }
  insert(cell: Cell): void {
    this.#byId.set(cell.id, cell);
    if (cell.key !== null) this.#byKey.set(cell.key, cell);
  }
  setDialogKey(cell: Cell, key: string): void {
    cell.dlgKey = key;
    this.#byDialog.set(key, cell);
  }
  addBranch(cell: Cell, br: Branch): void {
    this.#byBranch.set(br.id, { cell, br });
  }
  remove(cell: Cell): void {
    this.#byId.delete(cell.id);
    if (cell.key !== null && this.#byKey.get(cell.key) === cell) this.#byKey.delete(cell.key);
    if (cell.dlgKey !== null && this.#byDialog.get(cell.dlgKey) === cell) this.#byDialog.delete(cell.dlgKey);
    for (const b of cell.branches) this.#byBranch.delete(b.id);
  }
  byKey(key: string): Cell | undefined {
    return this.#byKey.get(key);
  }
  byId(id: string): Cell | undefined {
    return this.#byId.get(id);
  }
  byBranch(id: string): { cell: Cell; br: Branch } | undefined {
    return this.#byBranch.get(id);
  }
  byDialog(key: string): Cell | undefined {
    return this.#byDialog.get(key);
  }
  cells(): IterableIterator<Cell> {
    return this.#byId.values();
  }
}
