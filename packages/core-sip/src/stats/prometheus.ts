/**
 * Prometheus exposition of the statistics registry, through prom-client.
 *
 * Our stats stay the single source of truth: each one gets a prom-client metric whose `collect`
 * copies the current value at scrape time, so the hot path never touches prom-client. Stats
 * registered after this is created (modules load later) are picked up at the next scrape.
 */
import { Counter as PromCounter, Gauge as PromGauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { StatsRegistry } from './types.js';

export interface PrometheusOptions {
  /** Also expose Node process metrics (CPU, memory, event loop lag…), prefixed `tsips_`. Default true. */
  defaultMetrics?: boolean;
  /** Told about stats that cannot be exposed (a name clash after sanitising). */
  log?: Logger;
}

export interface PrometheusExporter {
  readonly registry: Registry;
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  metricsText(): Promise<string>;
  /** The shape `startMiHttp({ metrics })` takes; a plain function, safe to pass on its own. */
  readonly scrape: () => Promise<{ contentType: string; body: string }>;
}

/** `tsips_<module>_<name>`, every character Prometheus does not allow turned into `_`. */
export function promName(module: string, name: string, kind: 'counter' | 'gauge'): string {
  const base = `tsips_${module}_${name}`.replace(/[^a-zA-Z0-9_]/g, '_');
  // Prometheus convention: counters end in `_total` (once).
  return kind === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
}

export function createPrometheus(stats: StatsRegistry, opts: PrometheusOptions = {}): PrometheusExporter {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tsips_' });
  /** `module:name` of stats already mirrored (or refused), so each scrape only adds new ones. */
  const known = new Set<string>();

  const sync = (): void => {
    for (const s of stats.list()) {
      const key = `${s.module}:${s.name}`;
      if (known.has(key)) continue;
      known.add(key);
      const name = promName(s.module, s.name, s.kind);
      if (registry.getSingleMetric(name)) {
        opts.log?.warn({ stat: key, metric: name }, 'statistic not exported to Prometheus: metric name already used');
        continue;
      }
      const help = s.help || key;
      const read = (): number => stats.query([key])[0]?.value ?? 0;
      if (s.kind === 'counter') {
        new PromCounter({
          name,
          help,
          registers: [registry],
          collect() {
            // prom-client counters only go up; reset_statistics may have lowered ours, so rebuild.
            this.reset();
            this.inc(Math.max(0, read()));
          },
        });
      } else {
        new PromGauge({
          name,
          help,
          registers: [registry],
          collect() {
            this.set(read());
          },
        });
      }
    }
  };

  const metricsText = async (): Promise<string> => {
    sync();
    return registry.metrics();
  };
  return {
    registry,
    contentType: registry.contentType,
    metricsText,
    scrape: async () => ({ contentType: registry.contentType, body: await metricsText() }),
  };
}
