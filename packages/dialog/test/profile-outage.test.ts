/**
 * Issue 12 item 5: a shared profile lookup during a Redis outage answers at once from the last known counts
 * (with a statistic and one warning) instead of waiting cachedb's query_timeout on every call, and the
 * counts are reconciled when Redis is back (it may have lost every key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { RedisDriver } from '@mod/cachedb-redis';
import type { CacheDb, Counter } from '@core/sip';
import { Profiles, parseProfileDefs } from '../src/profiles.js';
import { bareDlg, silentLog } from './helpers.js';

function counter(name: string): Counter {
  let n = 0;
  return { name, inc: (by = 1) => void (n += by), get: () => n };
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function node(name: string, cache: CacheDb, stale: Counter): Promise<Profiles> {
  const p = new Profiles(silentLog);
  p.add(parseProfileDefs('trunk/s', true));
  p.share(cache, name, 10, { lookupTimeoutMs: 300, probeMs: 200, stale });
  await p.flush();
  return p;
}

describe('shared profiles during a Redis outage', () => {
  it('answer at once from the last known counts, count the stale reads, and reconcile after Redis returns empty', async () => {
    const driver = new RedisDriver();
    const caches = [await driver.open(redis.url), await driver.open(redis.url)];
    const stale0 = counter('s0');
    const stale1 = counter('s1');
    const n0 = await node('n0', caches[0]!, stale0);
    const n1 = await node('n1', caches[1]!, stale1);
    const t0 = n0.search('trunk')!;
    const t1 = n1.search('trunk')!;
    for (let i = 0; i < 3; i++) n0.set(bareDlg(), t0, 'gw');
    n1.set(bareDlg(), t1, 'gw');
    await n0.flush();
    await n1.flush();
    expect(await n1.size(t1, 'gw')).toBe(4);
    expect(stale1.get()).toBe(0);

    await redis.kill(); // a crash: every key is lost
    // The first lookup finds out, bounded by the lookup timeout (not cachedb's 5 s query_timeout).
    let t = Date.now();
    expect(await n1.size(t1, 'gw')).toBe(4);
    expect(Date.now() - t).toBeLessThan(1500);
    expect(n1.cachedbDown).toBe(true);
    // Every later one answers at once; this node's own changes still count exactly.
    n1.set(bareDlg(), t1, 'gw');
    t = Date.now();
    for (let i = 0; i < 20; i++) expect(await n1.size(t1, 'gw')).toBe(5);
    expect(Date.now() - t).toBeLessThan(200);
    expect(stale1.get()).toBe(21);
    // Meanwhile the other node gets two more calls it cannot publish yet.
    n0.set(bareDlg(), t0, 'gw');
    n0.set(bareDlg(), t0, 'gw');

    await redis.up();
    // Both nodes republish (Redis came back empty) and read each other again: 5 + 2 = 7 everywhere.
    await expect.poll(() => n1.size(t1, 'gw'), { timeout: 10_000, interval: 100 }).toBe(7);
    await expect.poll(() => n0.size(t0, 'gw'), { timeout: 10_000, interval: 100 }).toBe(7);
    expect(n1.cachedbDown).toBe(false);
    const after = stale1.get();
    expect(await n1.size(t1)).toBe(7);
    expect(stale1.get()).toBe(after);
    await n0.close(false);
    await n1.close(false);
    for (const c of caches) await c.close();
  });
});
