/**
 * Timer J for non-INVITE server transactions over UDP (RFC 3261 17.2.2): the client retransmits for up
 * to 64·T1 (timer F), but tm frees a transaction wt_timer after its final reply, as OpenSIPS does. A BYE
 * retransmitted after that (its 200 lost several times) would be relayed again as a new request, to a UAS
 * that has forgotten the call. So when such a transaction is freed, only its final reply stays here until
 * 64·T1 after it was sent, and a late retransmission gets it again. An entry is the reply's bytes and where
 * it goes (a few hundred bytes), not the transaction (about 4.5 KB).
 *
 * Every entry lives as long, so insertion order is expiry order: one timer sweeps from the oldest.
 */
import type { SendTarget } from '@core/sip';
import type { Timer, TimerWheel } from './timer-wheel.js';

interface Entry {
  reply: Buffer;
  target: SendTarget;
  expires: number;
}

export class ReplyCache {
  readonly #entries = new Map<string, Entry>();
  #sweep: Timer | null = null;

  constructor(
    readonly wheel: TimerWheel,
    readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Keeps `reply` for `key` for `ms` more (nothing when `ms` <= 0). */
  add(key: string, reply: Buffer, target: SendTarget, ms: number): void {
    if (ms <= 0) return;
    this.#entries.delete(key); // re-inserted last: keeps the order by expiry
    this.#entries.set(key, { reply, target, expires: this.now() + ms });
    if (this.#sweep === null) this.#arm(ms);
  }

  /** The cached reply for a retransmitted request, if its transaction ended within 64·T1. */
  get(key: string): { reply: Buffer; target: SendTarget } | undefined {
    const e = this.#entries.get(key);
    return e !== undefined && e.expires > this.now() ? e : undefined;
  }

  clear(): void {
    this.#entries.clear();
    this.#sweep = this.wheel.cancel(this.#sweep);
  }

  #arm(ms: number): void {
    this.#sweep = this.wheel.schedule('timer_J', ms, () => {
      this.#sweep = null;
      const now = this.now();
      for (const [key, e] of this.#entries) {
        if (e.expires > now) {
          this.#arm(e.expires - now);
          return;
        }
        this.#entries.delete(key);
      }
    });
  }
}
