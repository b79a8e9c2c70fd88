/**
 * Rate limits for log lines a peer can trigger at will (malformed datagrams, replies that cannot be sent,
 * errors caught at a boundary): at most `perSecond` lines of each kind per second; the rest are counted and
 * told in one line, `suppressed N similar lines`, when the second is over. A flood of garbage then costs a
 * few lines a second, not one line (and a blocked stdout) per datagram. Kinds are a small fixed set of
 * literals, one state each.
 *
 *   if (limiter.allow(log, 'info', 'malformed request')) log.info({ … }, 'malformed request');
 */
import type { Logger } from 'pino';

export type LimitedLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Lines per kind per second when the config says nothing. */
export const DEFAULT_LOG_LINES_PER_SECOND = 10;

const WINDOW_MS = 1000;

class KindState {
  windowStart = 0;
  lines = 0;
  suppressed = 0;
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly kind: string,
    public log: Logger,
    public level: LimitedLevel,
  ) {}
}

export class LogLimiter {
  readonly #kinds = new Map<string, KindState>();
  readonly #perSecond: number;
  readonly #now: () => number;

  /** `now` is injectable for tests (fake timers replace Date.now too). */
  constructor(perSecond = DEFAULT_LOG_LINES_PER_SECOND, now: () => number = Date.now) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /**
   * True when a line of `kind` may be written now. False when `level` is off for `log` (nothing counted)
   * or when the kind already wrote its lines this second (counted for the summary).
   */
  allow(log: Logger, level: LimitedLevel, kind: string): boolean {
    if (!log.isLevelEnabled(level)) return false;
    let s = this.#kinds.get(kind);
    if (s === undefined) {
      s = new KindState(kind, log, level);
      this.#kinds.set(kind, s);
    }
    const now = this.#now();
    if (now - s.windowStart >= WINDOW_MS) {
      this.#summarise(s);
      s.windowStart = now;
      s.lines = 0;
    }
    if (s.lines < this.#perSecond) {
      s.lines++;
      return true;
    }
    s.suppressed++;
    s.log = log;
    s.level = level;
    if (s.timer === null) {
      // The summary comes when the second is over, even if no line of this kind follows.
      s.timer = setTimeout(() => this.#summarise(s), Math.max(1, s.windowStart + WINDOW_MS - now));
      s.timer.unref();
    }
    return false;
  }

  /** Lines suppressed and not yet summarised, by kind (for tests and MI). */
  pending(kind: string): number {
    return this.#kinds.get(kind)?.suppressed ?? 0;
  }

  /** Writes the pending summaries and clears the timers (server stop). */
  flush(): void {
    for (const s of this.#kinds.values()) this.#summarise(s);
  }

  #summarise(s: KindState): void {
    if (s.timer !== null) clearTimeout(s.timer);
    s.timer = null;
    const n = s.suppressed;
    if (n === 0) return;
    s.suppressed = 0;
    try {
      s.log[s.level]({ kind: s.kind, suppressed: n }, `suppressed ${n} similar lines: ${s.kind}`);
    } catch {
      // A logger that throws must not turn a summary into a crash.
    }
  }
}
