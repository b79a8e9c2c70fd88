/**
 * The OpenSIPS timer scheme: one tick every timer_interval / buckets seconds, each tick visiting the next
 * bucket (0, 1, … buckets-1, 0 …), so every record is looked at once per timer_interval and the REGISTERs
 * of a big table are spread over the interval instead of leaving at once.
 */
import { regErrors } from './errors.js';

export class BucketTimer {
  #next = 0;
  #timer: NodeJS.Timeout | null = null;
  /** Seconds between two ticks. */
  readonly stepSec: number;

  constructor(
    readonly intervalSec: number,
    readonly buckets: number,
    private readonly visit: (bucket: number) => void,
  ) {
    if (intervalSec < buckets) throw regErrors.timerInterval(intervalSec, buckets);
    this.stepSec = intervalSec / buckets;
  }

  #startedAt = 0;

  start(now = Date.now()): void {
    if (this.#timer !== null) return;
    this.#startedAt = now;
    this.#timer = setInterval(() => this.tick(), this.stepSec * 1000);
    this.#timer.unref();
  }

  /** Visits the next bucket now. */
  tick(): void {
    const b = this.#next;
    this.#next = (b + 1) % this.buckets;
    this.visit(b);
  }

  /** Unix ms of the first visit of `bucket` at or after `t` (ticks at start + k·step visit bucket (k-1) mod buckets). */
  nextVisitAt(bucket: number, t: number): number {
    const step = this.stepSec * 1000;
    let k = Math.max(1, Math.ceil((t - this.#startedAt) / step));
    const want = (bucket + 1) % this.buckets;
    k += (want - (k % this.buckets) + this.buckets) % this.buckets;
    return this.#startedAt + k * step;
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
