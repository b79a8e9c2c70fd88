/**
 * Replication messages published while Redis is away (issue 12): held in order and published once Redis
 * is back, instead of failing. Bounded: past `max` the oldest message is dropped (its promise rejects and
 * clusterer_dropped_msgs counts it); the receivers re-sync after their own reconnect anyway, so what was
 * dropped comes back with the full state.
 */
import type { Counter, ModuleContext } from '@core/sip';

type Logger = ModuleContext['log'];

interface Held {
  channel: string;
  msg: object;
  resolve(): void;
  reject(err: Error): void;
}

export class Outbox {
  readonly #held: Held[] = [];
  #flushing = false;
  #overflowLogged = false;
  /** When the receivers of the first held message were first found missing (0: not waiting). */
  #waitingSince = 0;

  constructor(
    private readonly max: number,
    /** Publishes one message now; rejects when Redis fails. */
    private readonly send: (channel: string, msg: object) => Promise<void>,
    private readonly log: Logger,
    private readonly counters: { queued: Counter; dropped: Counter },
    /**
     * True when every node expected on `channel` is subscribed again (their subscribers reconnect on their
     * own backoff): messages flushed before would be lost to them. Waited for at most `maxWaitMs`.
     */
    private readonly receiversReady: (channel: string) => Promise<boolean>,
    private readonly maxWaitMs: number,
  ) {}

  get size(): number {
    return this.#held.length;
  }

  /** Holds one message until `flush`; resolves once it is published. */
  hold(channel: string, msg: object): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#held.push({ channel, msg, resolve, reject });
      this.counters.queued.inc();
      if (this.#held.length > this.max) {
        const old = this.#held.shift();
        this.counters.dropped.inc();
        if (!this.#overflowLogged) {
          this.#overflowLogged = true;
          this.log.warn({ max: this.max }, 'clusterer: replication queue full during the Redis outage; dropping the oldest messages (the others re-sync)');
        }
        old?.reject(new Error('clusterer: replication message dropped, the queue of the Redis outage was full'));
      }
    });
  }

  /** Publishes what is held, in order; stops at the first failure (Redis away again) and keeps the rest. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    const n = this.#held.length;
    try {
      const checked = new Set<string>();
      while (this.#held.length > 0) {
        const h = this.#held[0]!;
        try {
          if (!checked.has(h.channel)) {
            if (!(await this.receiversReady(h.channel))) {
              const now = Date.now();
              if (this.#waitingSince === 0) this.#waitingSince = now;
              if (now - this.#waitingSince < this.maxWaitMs) return; // the next heartbeat tries again
            }
            checked.add(h.channel);
          }
          await this.send(h.channel, h.msg);
        } catch {
          return;
        }
        this.#held.shift();
        h.resolve();
      }
      this.#overflowLogged = false;
      this.#waitingSince = 0;
      if (n > 0) this.log.info({ messages: n }, 'clusterer: replication messages held during the Redis outage were published');
    } finally {
      this.#flushing = false;
    }
  }

  /** Stop: what is still held is lost (its promises reject). */
  discard(): void {
    this.#waitingSince = 0;
    for (const h of this.#held.splice(0)) h.reject(new Error('clusterer: node stopped before Redis came back'));
  }
}
