import type { CacheDbDriver } from '@core/sip';
import { RedisCacheDb } from './cachedb.js';
import type { RedisCacheOptions } from './options.js';
import { REDIS_SCHEMES } from './url.js';

/** The CacheDbDriver registered for `redis://` and `rediss://` URLs: each `open` is its own connection. */
export class RedisDriver implements CacheDbDriver {
  readonly schemes: readonly string[] = REDIS_SCHEMES;

  constructor(private readonly options: Partial<RedisCacheOptions> = {}) {}

  open(url: string): Promise<RedisCacheDb> {
    return RedisCacheDb.open(url, this.options);
  }
}
