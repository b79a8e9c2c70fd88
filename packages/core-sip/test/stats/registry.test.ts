import { describe, expect, it } from 'vitest';
import { Stats, registerCoreStats, registerProcessStats } from '../../src/stats/index.js';

function values(stats: Stats, patterns: string[]): Record<string, number> {
  return Object.fromEntries(stats.query(patterns).map((s) => [`${s.module}:${s.name}`, s.value]));
}

describe('Stats registry', () => {
  it('counts, gauges and reads back', () => {
    const s = new Stats();
    const c = s.counter('tm', 'received_replies', 'replies');
    const g = s.gauge('tm', 'inuse_transactions', 'live');
    c.inc();
    c.inc(4);
    g.set(10);
    g.inc();
    g.dec(3);
    expect(c.get()).toBe(5);
    expect(g.get()).toBe(8);
    expect(s.list()).toEqual([
      { module: 'tm', name: 'received_replies', kind: 'counter', help: 'replies', noReset: false, value: 5 },
      { module: 'tm', name: 'inuse_transactions', kind: 'gauge', help: 'live', noReset: false, value: 8 },
    ]);
  });

  it('rejects a duplicate name in the same module, allows it in another', () => {
    const s = new Stats();
    s.counter('tm', 'x', '');
    expect(() => s.gauge('tm', 'x', '')).toThrowErrorMatchingInlineSnapshot(`[StatsError: E_STAT_DUPLICATE: statistic "tm:x" is already registered]`);
    expect(() => s.computed('tm', 'x', '', () => 1)).toThrow(/E_STAT_DUPLICATE/);
    expect(() => s.counter('dialog', 'x', '')).not.toThrow();
  });

  it('rejects names that would break `module:name` patterns', () => {
    const s = new Stats();
    expect(() => s.counter('tm', 'a:b', '')).toThrowErrorMatchingInlineSnapshot(`[StatsError: E_STAT_NAME: invalid statistic name "tm:a:b"]`);
    expect(() => s.counter('', 'a', '')).toThrow(/E_STAT_NAME/);
  });

  it('computed stats are read on demand and never reset', () => {
    const s = new Stats();
    let n = 1;
    s.computed('tm', 'inuse', 'live', () => n);
    expect(values(s, ['tm:inuse'])).toEqual({ 'tm:inuse': 1 });
    n = 7;
    expect(values(s, ['tm:inuse'])).toEqual({ 'tm:inuse': 7 });
    s.reset(['all']);
    expect(values(s, ['tm:inuse'])).toEqual({ 'tm:inuse': 7 });
    expect(s.query(['tm:inuse'])[0]).toMatchObject({ kind: 'gauge', noReset: true });
  });

  it('query follows get_statistics patterns: all, group:, name, group:name', () => {
    const s = new Stats();
    s.counter('core', 'rcv_requests', '').inc(1);
    s.counter('core', 'rcv_replies', '').inc(2);
    s.counter('tm', 'UAS_transactions', '').inc(3);
    s.counter('dialog', 'rcv_requests', '').inc(4); // same name in another module
    expect(Object.keys(values(s, ['all']))).toEqual(['core:rcv_requests', 'core:rcv_replies', 'tm:UAS_transactions', 'dialog:rcv_requests']);
    expect(values(s, ['core:'])).toEqual({ 'core:rcv_requests': 1, 'core:rcv_replies': 2 });
    expect(values(s, ['rcv_requests'])).toEqual({ 'core:rcv_requests': 1, 'dialog:rcv_requests': 4 });
    expect(values(s, ['tm:UAS_transactions'])).toEqual({ 'tm:UAS_transactions': 3 });
    // each stat once, even when several patterns match it; unknown names match nothing
    expect(values(s, ['core:rcv_replies', 'core:', 'nope', 'nomodule:', 'tm:nope'])).toEqual({ 'core:rcv_replies': 2, 'core:rcv_requests': 1 });
  });

  it('reset honours patterns and noReset', () => {
    const s = new Stats();
    const a = s.counter('core', 'a', '');
    const b = s.counter('core', 'b', '', { noReset: true });
    const g = s.gauge('tm', 'g', '');
    const live = s.gauge('tm', 'live', '', { noReset: true });
    a.inc(5);
    b.inc(5);
    g.set(5);
    live.set(5);
    s.reset(['tm:']);
    expect([a.get(), b.get(), g.get(), live.get()]).toEqual([5, 5, 0, 5]);
    s.reset(['all']);
    expect([a.get(), b.get(), g.get(), live.get()]).toEqual([0, 5, 0, 5]);
  });

  it('registers the core group under OpenSIPS names with typed handles', () => {
    const s = new Stats();
    const core = registerCoreStats(s, new Date(Date.now() - 5000));
    core.rcv_requests.inc();
    core.bad_msg_hdr.inc(2);
    const v = values(s, ['core:']);
    expect(v).toMatchObject({ 'core:rcv_requests': 1, 'core:bad_msg_hdr': 2, 'core:fwd_replies': 0, 'core:bad_URIs_rcvd': 0 });
    expect(Object.keys(v)).toEqual([
      'core:rcv_requests',
      'core:rcv_replies',
      'core:fwd_requests',
      'core:fwd_replies',
      'core:drop_requests',
      'core:drop_replies',
      'core:err_requests',
      'core:err_replies',
      'core:bad_URIs_rcvd',
      'core:unsupported_methods',
      'core:bad_msg_hdr',
      'core:internal_errors',
      'core:unhandled_errors',
      'core:timestamp',
    ]);
    expect(v['core:timestamp']).toBeGreaterThanOrEqual(5);
  });

  it('shows the process memory as computed stats', () => {
    const s = new Stats();
    registerProcessStats(s);
    const v = values(s, ['process:']);
    expect(Object.keys(v)).toEqual(['process:heap_used', 'process:heap_total', 'process:rss', 'process:external']);
    expect(v['process:heap_used']).toBeGreaterThan(0);
    expect(v['process:heap_total']).toBeGreaterThanOrEqual(v['process:heap_used']!);
    expect(v['process:rss']).toBeGreaterThan(v['process:heap_used']!);
  });
});
