export * from './types.js';
export { Stats, StatsError } from './registry.js';
export type { StatEntry } from './registry.js';
export { registerCoreStats } from './core-stats.js';
export { registerProcessStats } from './process-stats.js';
export type { CoreStats } from './core-stats.js';
export { createPrometheus, promName } from './prometheus.js';
export type { PrometheusExporter, PrometheusOptions } from './prometheus.js';
