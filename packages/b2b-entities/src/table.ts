/**
 * The two entity hash tables (server_hsize / client_hsize, log2 sizes). The bucket of an entity is a hash
 * of its Call-ID; the bucket index is written in the key, so a key alone finds its bucket.
 */
import { fnv1a } from '@core/sip';
import type { Entity } from './entity.js';
import { B2B_SERVER, type B2bEntityType } from './state.js';

export class EntityTable {
  readonly #buckets: Map<string, Entity>[];
  readonly #mask: number;
  #size = 0;

  constructor(log2Size: number) {
    const n = 1 << log2Size;
    this.#mask = n - 1;
    this.#buckets = [];
    for (let i = 0; i < n; i++) this.#buckets.push(new Map());
  }

  get buckets(): number {
    return this.#buckets.length;
  }
  get size(): number {
    return this.#size;
  }

  hashIndex(callid: string): number {
    return fnv1a(callid) & this.#mask;
  }

  get(key: string, hashIndex: number): Entity | undefined {
    return this.#buckets[hashIndex]?.get(key);
  }

  add(e: Entity): void {
    const b = this.#buckets[e.hashIndex];
    if (b === undefined) throw new RangeError(`entity ${e.key}: hash index ${e.hashIndex} is outside the table`);
    if (!b.has(e.key)) this.#size++;
    b.set(e.key, e);
  }

  remove(e: Entity): boolean {
    const b = this.#buckets[e.hashIndex];
    if (b?.get(e.key) !== e) return false;
    b.delete(e.key);
    this.#size--;
    return true;
  }

  *all(): IterableIterator<Entity> {
    for (const b of this.#buckets) yield* b.values();
  }
}

/** Both tables, by entity type. */
export class Tables {
  constructor(
    readonly server: EntityTable,
    readonly client: EntityTable,
  ) {}
  of(et: B2bEntityType): EntityTable {
    return et === B2B_SERVER ? this.server : this.client;
  }
}
