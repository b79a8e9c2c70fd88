import { describe, expect, it } from 'vitest';
import { activeOn, redisForFile, startNode, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
const env = redisForFile(() => nodes);

const three = (tag: string): Promise<TestNode[]> =>
  Promise.all([
    startNode(env.redis.url, 1, { sharing_tag: [`${tag}/1=active`] }),
    startNode(env.redis.url, 2, { sharing_tag: `${tag}/1=backup` }),
    startNode(env.redis.url, 3, { sharing_tag: [`${tag}/1=backup`] }),
  ]);

/** Samples the owners every 10 ms while `during` runs; returns the largest number of actives seen at once. */
async function maxActives(tag: string, during: () => Promise<void>): Promise<number> {
  let max = 0;
  const t = setInterval(() => (max = Math.max(max, activeOn(nodes, tag).length)), 10);
  try {
    await during();
  } finally {
    clearInterval(t);
  }
  return Math.max(max, activeOn(nodes, tag).length);
}

describe('sharing tags', () => {
  it('has one active owner: the node that declared it active', async () => {
    nodes = await three('vip');
    expect(activeOn(nodes, 'vip')).toEqual([1]);
    // Backups do not take a tag that has a live owner, however long they wait.
    await new Promise((r) => setTimeout(r, 1000));
    expect(activeOn(nodes, 'vip')).toEqual([1]);
    const list = (await nodes[1]!.mi('clusterer_list_shtags')) as { tag: string; cluster: number; state: string; owner: number }[];
    expect(list).toEqual([{ tag: 'vip', cluster: 1, state: 'backup', owner: 1 }]);
  });

  it('moves to one backup when the owner stops, and at once on a clean stop', async () => {
    // A 3 s lease: taking it on the release notice and taking it once it expired are seconds apart.
    const lease = { node_timeout: 3 };
    nodes = await Promise.all([
      startNode(env.redis.url, 1, { sharing_tag: ['vip2/1=active'], ...lease }),
      startNode(env.redis.url, 2, { sharing_tag: 'vip2/1=backup', ...lease }),
      startNode(env.redis.url, 3, { sharing_tag: ['vip2/1=backup'], ...lease }),
    ]);
    const changes: string[] = [];
    nodes[1]!.api.registerShtagCallback('vip2', 1, (s) => changes.push(`2:${s}`));
    nodes[2]!.api.registerShtagCallback('vip2', 1, (s) => changes.push(`3:${s}`));
    // Past the backups' start-up wait (one lease), which lets the node declared active claim first. A lower
    // bound on elapsed time, so load cannot make it too short.
    await new Promise((r) => setTimeout(r, 3100));
    const t0 = Date.now();
    const max = await maxActives('vip2', async () => {
      await nodes[0]!.stop();
      await expect.poll(() => activeOn(nodes, 'vip2').length, { timeout: 5000, interval: 10 }).toBe(1);
    });
    expect(max).toBe(1);
    // The released lease is taken on the release notice, long before it could have expired (3 s).
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^[23]:active$/);
  }, 30_000);

  it('clusterer_shtag_set_active forces it here; the old owner turns backup', async () => {
    nodes = await three('vip3');
    expect(activeOn(nodes, 'vip3')).toEqual([1]);
    const max = await maxActives('vip3', async () => {
      expect(await nodes[2]!.mi('clusterer_shtag_set_active', { tag: 'vip3/1' })).toBe('OK');
      expect(nodes[2]!.api.getShtagState('vip3', 1)).toBe('active');
      await expect.poll(() => activeOn(nodes, 'vip3'), { timeout: 1000, interval: 10 }).toEqual([3]);
    });
    expect(max).toBeLessThanOrEqual(2); // the notice's flight time; checked below that it settles at once
    expect(nodes[0]!.events.filter((e) => e.name === 'E_CLUSTERER_SHARING_TAG_CHANGED').map((e) => e.params['new_state'])).toEqual(['active', 'backup']);
    // It stays there: the former owner, declared active, does not take it back.
    await new Promise((r) => setTimeout(r, 800));
    expect(activeOn(nodes, 'vip3')).toEqual([3]);
    await nodes[0]!.api.shtagSetActive('vip3', 1);
    await expect.poll(() => activeOn(nodes, 'vip3'), { timeout: 1000, interval: 10 }).toEqual([1]);
    await expect(nodes[0]!.mi('clusterer_shtag_set_active', { tag: 'vip3' })).rejects.toThrow(/bad sharing tag "vip3"/);
  });

  it('refuses a malformed sharing_tag modparam', async () => {
    await expect(startNode(env.redis.url, 9, { sharing_tag: ['vip=active'] })).rejects.toThrow(/sharing_tag/);
  });
});
