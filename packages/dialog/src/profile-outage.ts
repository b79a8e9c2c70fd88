/**
 * Shared profiles during a cachedb outage (issue 12 item 5). Without this, every get_profile_size of a
 * `/s` profile waited the cachedb's whole query_timeout (5 s with Redis) while Redis was away.
 *
 * - A lookup gets `lookupTimeoutMs`; one that fails or is slower enters the outage.
 * - During the outage lookups do not touch cachedb: they answer at once from the last counts read for the
 *   other nodes plus this node's own (always exact, in memory), and count in `shared_profile_stale_reads`.
 *   One warning when it starts, one info line when it ends.
 * - A single probe re-reads the shared profiles every `probeMs`; when it succeeds the outage ends and the
 *   owner reconciles (republishes its own counts, which Redis may have lost or which changed meanwhile).
 */
import type { Counter, ModuleContext } from '@core/sip';

type Logger = ModuleContext['log'];

export interface OutageOptions {
  lookupTimeoutMs: number;
  probeMs: number;
  stale: Counter | undefined;
}

export class ProfileOutage {
  #down = false;
  #since = 0;
  #probe: NodeJS.Timeout | null = null;
  #probing = false;
  #closed = false;

  constructor(
    private readonly log: Logger,
    private readonly opts: OutageOptions,
    /** Reads every shared profile once (the probe); throws while cachedb is unreachable. */
    private readonly readAll: () => Promise<void>,
    /** Called once cachedb answers again: republish this node's counts. */
    private readonly reconcile: () => void,
  ) {}

  get down(): boolean {
    return this.#down;
  }

  /**
   * Runs one cachedb read under the outage policy: true when it answered in time, false when the caller
   * must use the last known counts (outage, or this read failed / was too slow and started one).
   */
  async read(fn: () => Promise<void>): Promise<boolean> {
    if (this.#down) {
      this.opts.stale?.inc();
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.opts.lookupTimeoutMs} ms`)), this.opts.lookupTimeoutMs);
    });
    const op = fn();
    try {
      await Promise.race([op, late]);
      return true;
    } catch (err) {
      op.catch(() => undefined); // it may still settle after the race was lost
      this.enter(err);
      this.opts.stale?.inc();
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** cachedb failed (a lookup, or a write of our counts): answer from memory until a probe succeeds. */
  enter(err: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#since = Date.now();
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'cachedb unreachable: shared profile sizes are answered from the last known counts of the other nodes until it is back',
    );
    this.#probe = setInterval(() => void this.#tryProbe(), this.opts.probeMs);
    this.#probe.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#probe !== null) clearInterval(this.#probe);
    this.#probe = null;
  }

  async #tryProbe(): Promise<void> {
    if (this.#probing || !this.#down) return;
    this.#probing = true;
    try {
      await this.readAll();
    } catch {
      return; // still away
    } finally {
      this.#probing = false;
    }
    if (this.#closed) return;
    this.#down = false;
    if (this.#probe !== null) clearInterval(this.#probe);
    this.#probe = null;
    this.log.info({ outage_ms: Date.now() - this.#since }, 'cachedb reachable again: shared profile counts reconciled');
    this.reconcile();
  }
}
