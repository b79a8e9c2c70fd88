// Public surface of @core/sip: one re-export per area.
export * from './errors.js';
export * from './module/index.js';
export * from './storage/index.js';
export * from './stats/index.js';
export * from './events/index.js';
export * from './mi/index.js';
export * from './transport/types.js';
export * from './transport/index.js';
export * from './message/index.js';
export * from './uri/index.js';
export * from './script/index.js';
export * from './server/index.js';
export { createLogger, standaloneLogger, type LogControl, type DriverLog } from './log.js';
export { parseLogFormat, LOG_FORMATS, type LogFormat } from './log-format.js';
export { LogLimiter, DEFAULT_LOG_LINES_PER_SECOND, type LimitedLevel } from './log-limit.js';
export { VERSION } from './version.js';
/** The zod instance modules declare their params with, so every module shares one. */
export { z } from 'zod';
