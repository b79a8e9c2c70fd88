/**
 * The outage gate: when a statement finds the server gone, the handle enters an outage, one background
 * loop probes the server with exponential backoff, and every operation waits at the gate instead of
 * hammering a dead server. Waiters are released in arrival order when the probe succeeds.
 */
import type { DriverLog } from '@core/sip';

export interface OutageOptions {
  backoffMs: number;
  backoffMaxMs: number;
  /** Resolves when the server answers again; rejects while it is still down. */
  probe(): Promise<void>;
  log: DriverLog;
  /** For log lines: the masked URL. */
  url: string;
}

export class OutageGate {
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private since = 0;
  /** The failure that started the current (or last) outage, for error messages. */
  cause: unknown;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: OutageOptions) {}

  get down(): boolean {
    return this.gate !== undefined;
  }

  /** Starts an outage (once; later calls during the same outage do nothing) and the reconnect loop. */
  enter(err: unknown): void {
    if (this.gate !== undefined || this.closed) return;
    this.cause = err;
    this.since = Date.now();
    this.gate = new Promise<void>((resolve) => (this.release = resolve));
    this.opts.log.error({ err, url: this.opts.url }, 'db_mysql: connection to the server lost; queuing statements and reconnecting');
    // Probe at once: the failure may only have been one stale pooled connection.
    this.schedule(0);
  }

  /** Waits until the outage ends or `maxMs` passes; true when the server is back (or was never down). */
  async wait(maxMs: number): Promise<boolean> {
    const gate = this.gate;
    if (gate === undefined) return true;
    if (maxMs <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), maxMs)));
    const ok = await Promise.race([gate.then(() => true as const), timeout]);
    clearTimeout(timer);
    return ok;
  }

  /** Stops probing and releases every waiter (they then see the handle closed). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.end(false);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.attempt(delayMs), delayMs);
  }

  private async attempt(lastDelay: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.opts.probe();
    } catch (err) {
      if (this.closed) return;
      this.cause = err;
      const next = lastDelay === 0 ? this.opts.backoffMs : Math.min(lastDelay * 2, this.opts.backoffMaxMs);
      this.schedule(next);
      return;
    }
    this.end(true);
  }

  private end(reconnected: boolean): void {
    const release = this.release;
    if (release === undefined) return;
    if (reconnected) this.opts.log.info({ url: this.opts.url, downMs: Date.now() - this.since }, 'db_mysql: reconnected to the server');
    this.gate = undefined;
    this.release = undefined;
    release();
  }
}
