/**
 * Where errors caught at a boundary go: the receive loop, timers, callbacks, fire-and-forget sends and
 * writes. Each one is counted (`core:internal_errors`) and logged, rate limited per kind, with the
 * message's context read by `logContext` (which cannot throw). Nothing here throws: a report about an
 * error must never become the next error.
 */
import type { Logger } from 'pino';
import type { SipMessage } from '../message/message.js';
import { logContext } from '../message/log-context.js';
import type { LogLimiter } from '../log-limit.js';
import type { Counter } from '../stats/types.js';

export type UnhandledKind = 'unhandledRejection' | 'uncaughtException';

export class Faults {
  constructor(
    private readonly log: Logger,
    private readonly limiter: LogLimiter,
    private readonly internal: Counter,
    private readonly unhandledCount: Counter,
  ) {}

  /**
   * An error caught where `what` ran (`'timer callback'`, `'message processing'`…): counted and logged as
   * "`what` failed" with the message's Call-ID, method and CSeq when a message is given.
   */
  caught(what: string, err: unknown, msg?: SipMessage | null, fields?: Readonly<Record<string, unknown>>): void {
    this.internal.inc();
    this.#line('error', what, err, msg, fields, `${what} failed`);
  }

  /** What the process net caught (nobody else did): counted in `core:unhandled_errors` and logged. */
  unhandled(kind: UnhandledKind, err: unknown): void {
    this.unhandledCount.inc();
    this.#line('error', kind, err, null, { kind }, kind === 'unhandledRejection' ? 'unhandled rejection (kept running)' : 'uncaught exception (kept running)');
  }

  #line(level: 'error', kind: string, err: unknown, msg: SipMessage | null | undefined, fields: Readonly<Record<string, unknown>> | undefined, text: string): void {
    try {
      if (!this.limiter.allow(this.log, level, kind)) return;
      this.log[level]({ err, ...fields, ...logContext(msg) }, text);
    } catch {
      // Logging failed too (a destination that throws): the count above still tells it.
    }
  }
}
