import { describe, expect, it } from 'vitest';
import { sleep } from '@tsips/testkit';
import { activeOn, redisForFile, startNode, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
const env = redisForFile(() => nodes);

const states = async (n: TestNode): Promise<string[]> => {
  const r = (await n.mi('clusterer_list')) as { redis: string; clusters: { nodes: { node_id: number; state: string }[] }[] };
  return [r.redis, ...(r.clusters[0]?.nodes ?? []).map((x) => `${x.node_id}:${x.state}`)];
};

describe('Redis outage', () => {
  it('keeps node states, steps the owner down when its lease lapses, never two actives, and recovers', async () => {
    // A 3 s lease, stepped down 0.3 s early (its margin): room for late timers on a loaded machine.
    const lease = { node_timeout: 3 };
    nodes = await Promise.all([
      startNode(env.redis.url, 1, { sharing_tag: 'out/1=active', ...lease }),
      startNode(env.redis.url, 2, { sharing_tag: 'out/1=backup', ...lease }),
      startNode(env.redis.url, 3, { sharing_tag: 'out/1=backup', ...lease }),
    ]);
    await expect.poll(() => states(nodes[0]!)).toEqual(['up', '2:up', '3:up']);
    expect(activeOn(nodes, 'out')).toEqual([1]);

    let max = 0;
    const sampler = setInterval(() => (max = Math.max(max, activeOn(nodes, 'out').length)), 5);
    try {
      await env.redis.kill(); // a crash: every key is lost (no persistence)
      const down = Date.now();
      // The owner cannot renew: it steps down within one lease (3 s), not later.
      await expect.poll(() => activeOn(nodes, 'out'), { timeout: 6000, interval: 10 }).toEqual([]);
      expect(Date.now() - down).toBeLessThan(3000);
      // Node states are kept while Redis is away; the outage shows in clusterer_list.
      expect(await states(nodes[0]!)).toEqual(['down', '2:up', '3:up']);
      await sleep(300);
      await env.redis.up();
      // Back: exactly one owner again (the keys were lost, so any node may win), nobody seen down.
      await expect.poll(() => activeOn(nodes, 'out').length, { timeout: 12_000, interval: 10 }).toBe(1);
      await expect.poll(() => states(nodes[0]!), { timeout: 3000 }).toEqual(['up', '2:up', '3:up']);
      await sleep(500);
      expect(activeOn(nodes, 'out')).toHaveLength(1);
    } finally {
      clearInterval(sampler);
    }
    expect(max).toBe(1);
    for (const n of nodes) {
      expect(n.events.filter((e) => e.name === 'E_CLUSTERER_NODE_STATE_CHANGED' && e.params['new_state'] === 0)).toEqual([]);
    }
  }, 40_000);

  it('an owner cut off for less than its lease keeps the tag through a quick Redis restart', async () => {
    // The owner beats slowly, so after the restart the backup finds the (lost) lease vacant first: only
    // the wait after a reconnect keeps it from taking the tag while the owner is still inside its lease.
    nodes = await Promise.all([
      startNode(env.redis.url, 1, { sharing_tag: 'quick/1=active', node_timeout: 2, ping_interval: 0.5 }),
      startNode(env.redis.url, 2, { sharing_tag: 'quick/1=backup', node_timeout: 2 }),
    ]);
    expect(activeOn(nodes, 'quick')).toEqual([1]);
    await sleep(2100); // past the backup's start-up wait
    let max = 0;
    const sampler = setInterval(() => (max = Math.max(max, activeOn(nodes, 'quick').length)), 5);
    try {
      await env.redis.restart(100);
      await sleep(2500);
    } finally {
      clearInterval(sampler);
    }
    expect(max).toBe(1);
    expect(activeOn(nodes, 'quick')).toEqual([1]);
  });
});
