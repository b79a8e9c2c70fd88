// Storage: in-memory DB and cachedb, URL parsing, and the registry of drivers by scheme.
export * from './types.js';
export { MemoryDb } from './memory-db.js';
export { MemoryCacheDb, type MemoryCacheDbOptions } from './memory-cachedb.js';
export { parseStorageUrl, maskUrl, type StorageUrl, type StorageHost } from './url.js';
export { StorageRegistry, MEMORY_SCHEME } from './registry.js';
export { textOf, numberOf } from './values.js';
