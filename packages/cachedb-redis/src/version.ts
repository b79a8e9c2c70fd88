export const CACHEDB_REDIS_VERSION = '0.1.0';
