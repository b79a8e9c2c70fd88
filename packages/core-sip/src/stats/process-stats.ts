/**
 * The process's memory as statistics (`process:heap_used`…, `tsips_process_heap_used` in Prometheus),
 * computed on read. tsips only: OpenSIPS shows its shared and private memory pools (`shmem:`, `pkmem:`);
 * a Node process has one V8 heap, and its growth is what tells a leak.
 */
import { memoryUsage } from 'node:process';
import type { StatsRegistry } from './types.js';

export function registerProcessStats(stats: StatsRegistry): void {
  stats.computed('process', 'heap_used', 'V8 heap in use, bytes (live objects and garbage not yet collected)', () => memoryUsage().heapUsed);
  stats.computed('process', 'heap_total', 'V8 heap reserved, bytes', () => memoryUsage().heapTotal);
  stats.computed('process', 'rss', 'Resident set size of the process, bytes', () => memoryUsage.rss());
  stats.computed('process', 'external', 'Memory of buffers and other objects outside the V8 heap, bytes', () => memoryUsage().external);
}
