/**
 * A small seeded PRNG (mulberry32: a 32-bit state stepped by a Weyl constant, then mixed) for fuzzing and
 * attack tests: the same seed gives the same sequence on every machine, so a failing run can be replayed.
 * Not for anything secret.
 */
export class Prng {
  #s: number;

  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Integer in [0, n) (n ≥ 1). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: no items');
    return items[this.int(items.length)]!;
  }

  /** `n` letters and digits (for tags, branches, Call-IDs). */
  token(n: number): string {
    const A = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += A[this.int(A.length)];
    return s;
  }

  /** A new generator seeded from this one (an independent stream that leaves this one's sequence fixed). */
  fork(): Prng {
    return new Prng(this.next());
  }
}

/** A seed from `TSIPS_FUZZ_SEED` (decimal or 0x hex) when set, else a random one. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.TSIPS_FUZZ_SEED;
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`TSIPS_FUZZ_SEED must be an integer in [0, 2^32): got "${v}"`);
    return n;
  }
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}
