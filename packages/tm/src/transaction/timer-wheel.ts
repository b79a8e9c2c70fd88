/**
 * One timer facility for every transaction timer (retransmissions A/E/G, fr, wait, delete): a min-heap of
 * deadlines driven by a single unref'd setTimeout, re-armed only when the earliest deadline changes, and
 * served on ticks of TICK_MS: every timer due within a tick runs in one callback, so under load the event
 * loop wakes up once per tick for timers, not once per transaction (OpenSIPS also runs its timers on
 * ticks, 100 ms for retransmissions). A callback that throws is reported with the timer's name (to the
 * core's `caught`, which counts and rate limits it, when given; else logged) and the others still run.
 */
import type { CoreServices } from '@core/sip';

type Logger = CoreServices['log'];

export class Timer {
  at: number;
  /** Position in the heap, -1 when not scheduled. */
  pos = -1;
  constructor(
    readonly name: string,
    at: number,
    readonly fn: () => void,
  ) {
    this.at = at;
  }
  get active(): boolean {
    return this.pos >= 0;
  }
}

/** Timer granularity, ms: a timer fires at most this late (T1 is 500 ms). */
export const TICK_MS = 10;

/** Callbacks slower than this are logged (they hold every other timer back). */
const SLOW_MS = 50;

export class TimerWheel {
  readonly #heap: Timer[] = [];
  #handle: NodeJS.Timeout | null = null;
  #armedAt = Infinity;
  #stopped = false;

  constructor(
    readonly log: Logger,
    /** Where a failing callback is reported; it must not throw (CoreServices.caught). */
    private readonly onError?: (err: unknown, timer: string) => void,
  ) {}

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `fn` once after `ms`. */
  schedule(name: string, ms: number, fn: () => void): Timer {
    const t = new Timer(name, performance.now() + ms, fn);
    this.#push(t);
    return t;
  }

  cancel(t: Timer | null): null {
    if (t !== null && t.pos >= 0) this.#remove(t.pos);
    return null;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = null;
    for (const t of this.#heap) t.pos = -1;
    this.#heap.length = 0;
  }

  #push(t: Timer): void {
    const h = this.#heap;
    t.pos = h.length;
    h.push(t);
    this.#up(t.pos);
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const first = this.#heap[0];
    if (first === undefined) {
      if (this.#handle) clearTimeout(this.#handle);
      this.#handle = null;
      this.#armedAt = Infinity;
      return;
    }
    // The tick that serves the earliest deadline; later timers of the same tick ride along.
    const due = Math.ceil(first.at / TICK_MS) * TICK_MS;
    if (this.#handle !== null && this.#armedAt <= due) return;
    if (this.#handle) clearTimeout(this.#handle);
    this.#armedAt = due;
    this.#handle = setTimeout(() => this.#run(), Math.max(0, due - performance.now()));
    this.#handle.unref();
  }

  #run(): void {
    this.#handle = null;
    this.#armedAt = Infinity;
    const now = performance.now();
    const h = this.#heap;
    // Only timers due now: a callback that schedules a 0 ms timer waits for the next turn.
    while (h.length > 0 && (h[0] as Timer).at <= now + 1) {
      const t = h[0] as Timer;
      this.#remove(0);
      const t0 = performance.now();
      try {
        t.fn();
      } catch (err) {
        this.#failed(err, t.name);
      }
      const took = performance.now() - t0;
      if (took > SLOW_MS) this.log.warn({ timer: t.name, ms: Math.round(took) }, 'slow timer callback');
    }
    this.#arm();
  }

  #failed(err: unknown, name: string): void {
    try {
      if (this.onError !== undefined) this.onError(err, name);
      else this.log.error({ err, timer: name }, 'timer callback failed');
    } catch {
      // The other timers of this tick still run.
    }
  }

  #remove(i: number): void {
    const h = this.#heap;
    const t = h[i] as Timer;
    const last = h.pop() as Timer;
    t.pos = -1;
    if (i < h.length) {
      h[i] = last;
      last.pos = i;
      this.#down(i);
      this.#up(last.pos);
    }
  }

  #up(i: number): void {
    const h = this.#heap;
    const t = h[i] as Timer;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = h[p] as Timer;
      if (pt.at <= t.at) break;
      h[i] = pt;
      pt.pos = i;
      i = p;
    }
    h[i] = t;
    t.pos = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const t = h[i] as Timer;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (h[r] as Timer).at < (h[l] as Timer).at ? r : l;
      const ct = h[c] as Timer;
      if (ct.at >= t.at) break;
      h[i] = ct;
      ct.pos = i;
      i = c;
    }
    h[i] = t;
    t.pos = i;
  }
}
