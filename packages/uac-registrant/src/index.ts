export { default } from './module.js';
export { RegState, STATE_NAMES } from './states.js';
export { registrantSchema, DEFAULT_COLUMNS, type Columns } from './schema.js';
export { BucketTimer } from './bucket-timer.js';
export { retryDelayMs } from './backoff.js';
export { aorHash } from './table.js';
export type { RegConfig } from './record.js';
