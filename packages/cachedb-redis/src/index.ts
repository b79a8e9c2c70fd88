// @mod/cachedb-redis: the cachedb_redis module and its Redis driver.
export { default, default as cachedbRedisModule, redisOptions } from './module.js';
export { RedisCacheDb, type RedisArg } from './cachedb.js';
export { RedisDriver } from './driver.js';
export { DEFAULT_REDIS_OPTIONS, type RedisCacheOptions } from './options.js';
export { cachedbRedisParams, type CachedbRedisParams } from './params.js';
export { parseRedisUrl, type RedisUrl, type RedisNode } from './url.js';
export { RedisError, type RedisErrorCode } from './errors.js';
export type { DriverLog } from '@core/sip';
