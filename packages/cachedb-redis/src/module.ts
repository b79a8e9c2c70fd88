import { defineModule, type z } from '@core/sip';
import { RedisDriver } from './driver.js';
import type { DriverLog } from '@core/sip';
import type { RedisCacheOptions } from './options.js';
import { cachedbRedisParams, type CachedbRedisParams } from './params.js';
import { CACHEDB_REDIS_VERSION } from './version.js';

declare module '@core/sip' {
  interface ModuleParamsMap {
    cachedb_redis: z.input<z.ZodObject<typeof cachedbRedisParams>>;
  }
}

/** Maps the modparams to driver options. */
export function redisOptions(p: CachedbRedisParams, log?: DriverLog): Partial<RedisCacheOptions> {
  return {
    connectTimeoutMs: p.connect_timeout,
    queryTimeoutMs: p.query_timeout,
    shutdownOnError: p.shutdown_on_error === 1,
    log,
  };
}

/**
 * cachedb_redis: serves `redis://` cachedb_urls for every module. No state of its own: the driver is
 * registered by the loader before any module's init, and each `ctx.cachedb(url)` opens a connection.
 */
export default defineModule({
  name: 'cachedb_redis',
  version: CACHEDB_REDIS_VERSION,
  description: 'Redis driver for cachedb_url (ioredis, atomic counters, prefix scans, Redis Cluster)',
  params: cachedbRedisParams,
  // `log` is optional so the loader may pass the module's logger once the contract offers it.
  drivers: (params, log?: DriverLog) => ({ cachedb: new RedisDriver(redisOptions(params, log)) }),
  init: () => ({}),
});
