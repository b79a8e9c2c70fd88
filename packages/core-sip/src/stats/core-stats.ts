/**
 * The core statistics, under the OpenSIPS names of the `core` group so dashboards and
 * `get_statistics core:` keep working for people coming from OpenSIPS.
 */
import type { Counter, StatsRegistry } from './types.js';

export interface CoreStats {
  /** Requests received (every parsed request, before routing). */
  rcv_requests: Counter;
  /** Replies received. */
  rcv_replies: Counter;
  /** Requests forwarded statelessly or statefully. */
  fwd_requests: Counter;
  /** Replies forwarded. */
  fwd_replies: Counter;
  /** Requests dropped by the script (`drop()` or route end without forwarding/replying). */
  drop_requests: Counter;
  /** Replies dropped. */
  drop_replies: Counter;
  /** Requests that could not be processed (parse or route errors). */
  err_requests: Counter;
  /** Replies that could not be processed. */
  err_replies: Counter;
  /** Requests whose URI could not be parsed. */
  bad_URIs_rcvd: Counter;
  /** Requests with a method the server does not support. */
  unsupported_methods: Counter;
  /** Messages with a header that could not be parsed. */
  bad_msg_hdr: Counter;
  /**
   * Errors caught at a boundary (a timer, a callback, a message's processing, a background write): logged
   * and counted, the server goes on. tsips only; each one is a bug or an outage worth a look.
   */
  internal_errors: Counter;
  /**
   * Errors nobody caught (an unhandled rejection or an uncaught exception) that the binary's last net
   * logged and survived. tsips only; should stay 0.
   */
  unhandled_errors: Counter;
}

const CORE_COUNTERS: Readonly<Record<keyof CoreStats, string>> = {
  rcv_requests: 'Number of requests received',
  rcv_replies: 'Number of replies received',
  fwd_requests: 'Number of requests forwarded',
  fwd_replies: 'Number of replies forwarded',
  drop_requests: 'Number of requests dropped',
  drop_replies: 'Number of replies dropped',
  err_requests: 'Number of requests that failed to be processed',
  err_replies: 'Number of replies that failed to be processed',
  bad_URIs_rcvd: 'Number of requests with an unparsable URI',
  unsupported_methods: 'Number of requests with an unsupported method',
  bad_msg_hdr: 'Number of messages with an unparsable header',
  internal_errors: 'Number of errors caught at a boundary (timer, callback, processing) and survived',
  unhandled_errors: 'Number of unhandled rejections and uncaught exceptions the process survived',
};

/**
 * Registers the `core` group and returns typed handles for the hot path. `startedAt` feeds
 * `core:timestamp` (seconds since start, computed on read, as OpenSIPS exposes its ticks).
 */
export function registerCoreStats(stats: StatsRegistry, startedAt: Date = new Date()): CoreStats {
  const out: Partial<Record<keyof CoreStats, Counter>> = {};
  for (const name of Object.keys(CORE_COUNTERS) as (keyof CoreStats)[]) {
    out[name] = stats.counter('core', name, CORE_COUNTERS[name]);
  }
  const t0 = startedAt.getTime();
  stats.computed('core', 'timestamp', 'Seconds since the server started', () => Math.floor((Date.now() - t0) / 1000));
  return out as CoreStats;
}
