/** cachedb_redis modparams, by their OpenSIPS names. */
import { z } from '@core/sip';

export const cachedbRedisParams = {
  /** Connect timeout (ms). */
  connect_timeout: z.number().int().min(1).max(600_000).default(5_000),
  /** How long an operation waits for Redis to be reachable, then for its reply (ms). */
  query_timeout: z.number().int().min(1).max(600_000).default(5_000),
  /** 1: refuse to start when Redis is unreachable at start; 0: log it and keep reconnecting. */
  shutdown_on_error: z.number().int().min(0).max(1).default(0),
};

export type CachedbRedisParams = z.output<z.ZodObject<typeof cachedbRedisParams>>;
