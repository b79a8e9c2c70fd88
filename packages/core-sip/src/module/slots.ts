/**
 * Per-object slots (STYLE item 6): other modules attach their data to a transaction or a dialog through
 * a slot registered during init, never by adding properties at run time, so owner objects keep one
 * fixed shape and the data lives in a fixed-size array created once per owner.
 *
 * The owner's module (tm for transactions) gets the registry with `ctx.slots('transaction')` and
 * gives each new object `slots = registry.create()` in its constructor; consumers keep the `Slot` handle
 * returned by `register` and read `slot.get(tx)`. The loader seals every registry before start.
 */
import { errors } from '../errors.js';
import type { Slot, SlotOwner, Slots } from './types.js';

class IndexedSlot<T, Owner extends SlotOwner> implements Slot<T, Owner> {
  constructor(
    readonly name: string,
    private readonly index: number,
  ) {}
  get(owner: Owner): T {
    // The registry put an initial T at this index in every array it created.
    return owner.slots[this.index] as T;
  }
  set(owner: Owner, value: T): void {
    owner.slots[this.index] = value;
  }
}

export class SlotRegistry<Owner extends SlotOwner = SlotOwner> implements Slots<Owner> {
  private readonly inits: (() => unknown)[] = [];
  private readonly names = new Set<string>();
  private sealed = false;

  /** `kind` names the owners in errors (`transaction`, `dialog`). */
  constructor(readonly kind: string) {}

  register<T>(name: string, init: () => T): Slot<T, Owner> {
    if (this.sealed) throw errors.slotAfterStart(this.kind, name);
    if (this.names.has(name)) throw errors.config(`slot "${name}" is registered twice on ${this.kind}`);
    this.names.add(name);
    this.inits.push(init);
    return new IndexedSlot<T, Owner>(name, this.inits.length - 1);
  }

  /** The slot array of a new owner object, every slot at its initial value. */
  create(): unknown[] {
    const n = this.inits.length;
    const arr = new Array<unknown>(n);
    for (let i = 0; i < n; i++) arr[i] = (this.inits[i] as () => unknown)();
    return arr;
  }

  /** Closes registration; called by the loader before modules start. */
  seal(): void {
    this.sealed = true;
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  get size(): number {
    return this.inits.length;
  }
}
