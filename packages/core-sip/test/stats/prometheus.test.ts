import { describe, expect, it } from 'vitest';
import { Stats, createPrometheus, promName } from '../../src/stats/index.js';

interface Family {
  type?: string;
  help?: string;
  samples: Map<string, number>;
}

/** Minimal parser of the Prometheus text format: families by name, with their samples. */
function parseExposition(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const fam = (name: string): Family => {
    let f = out.get(name);
    if (!f) {
      f = { samples: new Map() };
      out.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') fam(name).help = rest;
      else fam(name).type = rest;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!sample) throw new Error(`bad exposition line: ${line}`);
    const [, name, labels, value] = sample as unknown as [string, string, string | undefined, string];
    fam(name).samples.set(labels ?? '', Number(value));
  }
  return out;
}

describe('Prometheus exposition', () => {
  it('names, types, help and live values', async () => {
    const stats = new Stats();
    const rcv = stats.counter('core', 'rcv_requests', 'Number of requests received');
    const dlg = stats.gauge('dialog', 'active_dialogs', 'Dialogs in progress', { noReset: true });
    let load = 3;
    stats.computed('tm', 'inuse-transactions', 'Transactions in memory', () => load);
    const prom = createPrometheus(stats, { defaultMetrics: false });
    rcv.inc(41);
    rcv.inc();
    dlg.set(7);

    let fams = parseExposition(await prom.metricsText());
    expect(fams.get('tsips_core_rcv_requests_total')).toEqual({
      type: 'counter',
      help: 'Number of requests received',
      samples: new Map([['', 42]]),
    });
    expect(fams.get('tsips_dialog_active_dialogs')).toEqual({ type: 'gauge', help: 'Dialogs in progress', samples: new Map([['', 7]]) });
    expect(fams.get('tsips_tm_inuse_transactions')?.samples.get('')).toBe(3);

    // values are read at scrape time, a reset lowers a counter, late registrations appear
    load = 9;
    stats.reset(['core:']);
    stats.counter('nathelper', 'pings_sent', 'pings').inc(2);
    fams = parseExposition(await prom.metricsText());
    expect(fams.get('tsips_core_rcv_requests_total')?.samples.get('')).toBe(0);
    expect(fams.get('tsips_tm_inuse_transactions')?.samples.get('')).toBe(9);
    expect(fams.get('tsips_nathelper_pings_sent_total')?.type).toBe('counter');
    expect(prom.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('includes prefixed Node process metrics by default', async () => {
    const prom = createPrometheus(new Stats());
    const fams = parseExposition(await prom.metricsText());
    expect(fams.get('tsips_process_resident_memory_bytes')?.type).toBe('gauge');
  });

  it('sanitises names and suffixes counters once', () => {
    expect(promName('usrloc', 'location-users', 'gauge')).toBe('tsips_usrloc_location_users');
    expect(promName('core', 'bad_URIs_rcvd', 'counter')).toBe('tsips_core_bad_URIs_rcvd_total');
    expect(promName('x', 'req_total', 'counter')).toBe('tsips_x_req_total');
  });
});
