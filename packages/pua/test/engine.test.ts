/** The refresh timer wheel with fake timers: when a record is refreshed, when it is let expire, and that stop disarms it. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoreServices } from '@core/sip';
import type { TmApi } from '@mod/tm';
import { PuaEngine } from '../src/engine.js';
import { UaPres } from '../src/record.js';

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined } as unknown as CoreServices['log'];
const core = { caught: () => undefined } as unknown as CoreServices;

let engine: PuaEngine;
let refreshed: string[];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000_000 });
  refreshed = [];
  // tm is not used by the wheel: refreshes are replaced by a recorder.
  engine = new PuaEngine({} as TmApi, undefined, core, log, { minExpires: 0, defaultExpires: 3600, updatePeriod: 30, sharingTag: '' });
  engine.refreshPublish = (r) => (refreshed.push(r.presUri), Promise.resolve());
});
afterEach(() => {
  engine.stop();
  vi.useRealTimers();
});

function rec(uri: string, interval: number): UaPres {
  const r = new UaPres('publish', uri, '', 1, 32, '');
  r.interval = interval;
  r.expires = engine.now() + interval;
  engine.add(r);
  engine.schedule(r);
  return r;
}

describe('pua timer wheel', () => {
  it('refreshes min(update_period, interval/2) before expiry', async () => {
    rec('sip:short@x', 10); // margin 5 s
    rec('sip:long@x', 3600); // margin update_period = 30 s
    await vi.advanceTimersByTimeAsync(4_000);
    expect(refreshed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(refreshed).toEqual(['sip:short@x']);
    await vi.advanceTimersByTimeAsync((3600 - 30 - 6) * 1000);
    expect(refreshed).toEqual(['sip:short@x']);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(refreshed).toEqual(['sip:short@x', 'sip:long@x']);
  });

  it('a record past its desired expiry is dropped, not refreshed; a removed one never fires', async () => {
    const a = rec('sip:a@x', 10);
    a.desiredExpires = a.expires;
    engine.schedule(a);
    const b = rec('sip:b@x', 10);
    engine.remove(b);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(refreshed).toEqual([]);
    expect([...engine.table.values()]).toEqual([]);
  });

  it('stop disarms every record', async () => {
    rec('sip:c@x', 4);
    engine.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(refreshed).toEqual([]);
  });
});
