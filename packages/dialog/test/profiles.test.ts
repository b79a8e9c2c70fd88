import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCacheDb, type CacheDb } from '@core/sip';
import { RedisDriver } from '@mod/cachedb-redis';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { Profiles, parseProfileDefs, parseProfilesColumn, serializeProfiles } from '../src/profiles.js';
import { bareDlg, silentLog } from './helpers.js';

describe('profile definitions', () => {
  it('parses names and the /s flag', () => {
    const defs = parseProfileDefs(' caller ; trunk/s;;', true);
    expect(defs.map((d) => [d.name, d.hasValue, d.shared])).toEqual([
      ['caller', true, false],
      ['trunk', true, true],
    ]);
    expect(() => parseProfileDefs('x/z', false)).toThrow(/unknown option "\/z"/);
    expect(() => parseProfileDefs('bad name', false)).toThrow(/bad profile name/);
  });

  it("serializes a dialog's profiles for the DB and back (values with separators survive)", () => {
    const p = new Profiles(silentLog);
    p.add(parseProfileDefs('caller;dest', true));
    const d = bareDlg();
    p.set(d, p.search('caller')!, 'a;b=c');
    p.set(d, p.search('dest')!, '');
    expect(parseProfilesColumn(serializeProfiles(d.profiles))).toEqual([
      { name: 'caller', value: 'a;b=c' },
      { name: 'dest', value: '' },
    ]);
  });
});

describe('local profiles', () => {
  it('counts per value and in total, once per dialog and value, and never below zero', async () => {
    const p = new Profiles(silentLog);
    p.add(parseProfileDefs('caller', true));
    p.add(parseProfileDefs('total', false));
    const caller = p.search('caller')!;
    const total = p.search('total')!;
    const [a, b, c] = [bareDlg(), bareDlg(), bareDlg()];
    expect(p.set(a, caller, 'alice')).toBe(true);
    expect(p.set(a, caller, 'alice')).toBe(false); // already in with this value
    p.set(b, caller, 'alice');
    p.set(c, caller, 'bob');
    for (const d of [a, b, c]) p.set(d, total, 'ignored');
    expect(await p.size(caller, 'alice')).toBe(2);
    expect(await p.size(caller, 'bob')).toBe(1);
    expect(await p.size(caller)).toBe(3);
    expect(await p.size(total)).toBe(3);
    expect(p.isIn(a, caller, 'alice')).toBe(true);
    expect(p.isIn(a, caller, 'bob')).toBe(false);
    expect(p.unset(a, caller, 'alice')).toBe(true);
    expect(p.unset(a, caller, 'alice')).toBe(false);
    expect(await p.size(caller, 'alice')).toBe(1);
    p.unlinkAll(b);
    p.unlinkAll(b);
    p.unlinkAll(c);
    expect(await p.size(caller)).toBe(0);
    expect(await p.size(total)).toBe(1);
    expect(caller.members.size).toBe(0);
  });
});

/** Two nodes (two Profiles instances, as two servers would have) sharing one cachedb. */
async function twoNodes(open: () => Promise<CacheDb>, refreshSec = 0.2) {
  const nodes = [new Profiles(silentLog), new Profiles(silentLog)];
  const caches = [await open(), await open()];
  nodes.forEach((n, i) => {
    n.add(parseProfileDefs('trunk/s', true));
    n.add(parseProfileDefs('all/s', false));
    n.share(caches[i]!, `node${i}`, refreshSec);
  });
  return { nodes, caches };
}

describe('shared (/s) profiles over the in-memory cachedb', () => {
  it('sums the counts of both nodes; replicated dialogs are counted by their origin only', async () => {
    const mem = new MemoryCacheDb();
    const { nodes } = await twoNodes(async () => mem);
    const [n0, n1] = nodes as [Profiles, Profiles];
    const t0 = n0.search('trunk')!;
    const t1 = n1.search('trunk')!;
    n0.set(bareDlg(), t0, 'gw1');
    n0.set(bareDlg(), t0, 'gw1');
    const d = bareDlg();
    n1.set(d, t1, 'gw1');
    n1.set(bareDlg(), t1, 'gw2');
    n1.set(bareDlg(), t1, 'gw1', true); // replicated from node 0: not published by node 1
    await n0.flush();
    await n1.flush();
    expect(await n0.size(t0, 'gw1')).toBe(3);
    expect(await n1.size(t1, 'gw1')).toBe(3);
    expect(await n1.size(t1)).toBe(4);
    n1.unlinkAll(d);
    await n1.flush();
    expect(await n0.size(t0, 'gw1')).toBe(2);
    await n0.close(false);
    await n1.close(false);
    expect(await mem.getByPrefix('dlg_prof:')).toEqual(new Map());
  });
});

describe('shared (/s) profiles over Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('keeps exact counts under concurrent set/unset on two nodes, never negative', async () => {
    const driver = new RedisDriver();
    const { nodes, caches } = await twoNodes(() => driver.open(redis.url));
    const [n0, n1] = nodes as [Profiles, Profiles];
    const all0 = n0.search('all')!;
    const all1 = n1.search('all')!;
    const live: [Profiles, ReturnType<typeof bareDlg>][] = [];
    // 200 calls start on both nodes, half of them end, interleaved without awaiting in between.
    for (let i = 0; i < 200; i++) {
      const node = i % 2 === 0 ? n0 : n1;
      const d = bareDlg();
      node.set(d, i % 2 === 0 ? all0 : all1, '');
      live.push([node, d]);
      if (i % 4 === 3) {
        const [pn, pd] = live.shift()!;
        pn.unlinkAll(pd);
        pn.unlinkAll(pd); // a double end must not count twice
      }
    }
    await n0.flush();
    await n1.flush();
    expect(await n0.size(all0)).toBe(150);
    expect(await n1.size(all1)).toBe(150);
    for (const [pn, pd] of live) pn.unlinkAll(pd);
    await n0.flush();
    await n1.flush();
    expect(await n0.size(all0)).toBe(0);
    await n0.close(false);
    await n1.close(false);
    for (const c of caches) await c.close();
  });

  it("a restarted node overwrites its count instead of adding to it; a crashed node's count expires", async () => {
    const driver = new RedisDriver();
    const cacheA = await driver.open(redis.url);
    const a1 = new Profiles(silentLog);
    a1.add(parseProfileDefs('all/s', false));
    a1.share(cacheA, 'nodeA', 0.2);
    for (let i = 0; i < 5; i++) a1.set(bareDlg(), a1.search('all')!, '');
    await a1.flush();
    // Node A "restarts" with 2 dialogs restored from its DB: same node id, the count is 2, not 7.
    await a1.close(true);
    const a2 = new Profiles(silentLog);
    a2.add(parseProfileDefs('all/s', false));
    a2.share(cacheA, 'nodeA', 0.2);
    a2.set(bareDlg(), a2.search('all')!, '');
    a2.set(bareDlg(), a2.search('all')!, '');
    await a2.flush();
    const observer = new Profiles(silentLog);
    observer.add(parseProfileDefs('all/s', false));
    const cacheO = await driver.open(redis.url);
    observer.share(cacheO, 'observer', 0.2);
    expect(await observer.size(observer.search('all')!)).toBe(2);
    // Node A crashes (no clean close): its key expires after 3 refresh periods.
    await a2.close(true); // stops refreshing, keeps the key, as a crash would
    await new Promise((r) => setTimeout(r, 1300));
    expect(await observer.size(observer.search('all')!)).toBe(0);
    await observer.close(false);
    await cacheA.close();
    await cacheO.close();
  });

  it('puts the counts back after Redis loses its data (crash and restart)', async () => {
    const driver = new RedisDriver();
    const { nodes, caches } = await twoNodes(() => driver.open(redis.url), 1.5);
    const [n0, n1] = nodes as [Profiles, Profiles];
    for (let i = 0; i < 3; i++) n0.set(bareDlg(), n0.search('trunk')!, 'gw');
    n1.set(bareDlg(), n1.search('trunk')!, 'gw');
    await n0.flush();
    await n1.flush();
    expect(await n1.size(n1.search('trunk')!, 'gw')).toBe(4);
    await redis.kill();
    await redis.up();
    // The crash lost the keys (no persistence on the test server)…
    const probe = await driver.open(redis.url);
    expect((await probe.getByPrefix('dlg_prof:trunk:')).size).toBe(0);
    await probe.close();
    // Within a refresh period (plus the client's reconnect) both nodes have republished.
    await expect.poll(async () => n1.size(n1.search('trunk')!, 'gw'), { timeout: 8000, interval: 200 }).toBe(4);
    await n0.close(false);
    await n1.close(false);
    for (const c of caches) await c.close();
  });
});
