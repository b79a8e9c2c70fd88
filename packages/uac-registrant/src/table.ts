/** The registrant hash table: 2^hash_size buckets indexed by a hash of the AOR, plus a map by identity. */
import { RegRecord, type RegConfig } from './record.js';

/** FNV-1a over the AOR's UTF-16 units, masked to the bucket count (a power of two). */
export function aorHash(aor: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < aor.length; i++) {
    h ^= aor.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (buckets - 1);
}

export class RegTable {
  readonly buckets: RegRecord[][];
  readonly #byKey = new Map<string, RegRecord>();

  constructor(readonly size: number) {
    this.buckets = Array.from({ length: size }, () => []);
  }

  get count(): number {
    return this.#byKey.size;
  }

  create(cfg: RegConfig): RegRecord {
    return new RegRecord(cfg, aorHash(cfg.aor, this.size));
  }

  add(r: RegRecord): void {
    this.#byKey.set(r.key, r);
    this.buckets[r.bucket]!.push(r);
  }

  remove(r: RegRecord): void {
    if (this.#byKey.get(r.key) !== r) return;
    this.#byKey.delete(r.key);
    const b = this.buckets[r.bucket]!;
    const i = b.indexOf(r);
    if (i >= 0) b.splice(i, 1);
    r.dropped = true;
  }

  get(key: string): RegRecord | undefined {
    return this.#byKey.get(key);
  }

  all(): RegRecord[] {
    return this.buckets.flat();
  }
}
