import type { DriverLog } from '@core/sip';

/** How a RedisCacheDb connects and rides out outages; built from the cachedb_redis modparams. */
export interface RedisCacheOptions {
  /** TCP connect timeout (OpenSIPS `connect_timeout`, ms). */
  connectTimeoutMs: number;
  /**
   * OpenSIPS `query_timeout` (ms): how long an operation waits for Redis to be reachable, and then
   * how long for the reply. Operations issued during an outage are held and sent after the reconnect.
   */
  queryTimeoutMs: number;
  /** OpenSIPS `shutdown_on_error`: refuse to start when Redis is unreachable at open (else reconnect in background). */
  shutdownOnError: boolean;
  log: DriverLog | undefined;
}

export const DEFAULT_REDIS_OPTIONS: Readonly<RedisCacheOptions> = {
  connectTimeoutMs: 5_000,
  queryTimeoutMs: 5_000,
  shutdownOnError: false,
  log: undefined,
};
