import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisForFile, startNode, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
const env = redisForFile(() => nodes);

const listed = async (n: TestNode, cluster = 1): Promise<Record<number, string>> => {
  const r = (await n.mi('clusterer_list')) as { clusters: { cluster_id: number; nodes: { node_id: number; state: string }[] }[] };
  const c = r.clusters.find((x) => x.cluster_id === cluster);
  return Object.fromEntries((c?.nodes ?? []).map((x) => [x.node_id, x.state]));
};

describe('membership', () => {
  it('sees the other nodes up, with clusterer_list and E_CLUSTERER_NODE_STATE_CHANGED', async () => {
    nodes = await Promise.all([1, 2, 3].map((id) => startNode(env.redis.url, id, { sip_addr: `sip:127.0.0.1:50${id}0` })));
    const [a] = nodes;
    await expect.poll(() => listed(a!), { timeout: 3000 }).toEqual({ 2: 'up', 3: 'up' });
    const r = (await a!.mi('clusterer_list')) as { my_node_id: number; clusters: { nodes: { sip_addr?: string }[] }[] };
    expect(r.my_node_id).toBe(1);
    expect(r.clusters[0]!.nodes.map((x) => x.sip_addr)).toEqual(['sip:127.0.0.1:5020', 'sip:127.0.0.1:5030']);
    const ups = a!.events.filter((e) => e.name === 'E_CLUSTERER_NODE_STATE_CHANGED').map((e) => e.params);
    expect(ups).toEqual(
      expect.arrayContaining([
        { cluster_id: 1, node_id: 2, new_state: 1 },
        { cluster_id: 1, node_id: 3, new_state: 1 },
      ]),
    );
    expect(a!.api.upNodes(1)).toEqual([2, 3]);
  });

  it('marks a node down at once when it stops cleanly, and when its heartbeat expires', async () => {
    // A long node_timeout keeps "down on the notice" and "down on expiry" seconds apart, even on a loaded machine.
    nodes = await Promise.all([1, 2].map((id) => startNode(env.redis.url, id, { node_timeout: 6 })));
    const [a, b] = nodes;
    await expect.poll(() => listed(a!)).toEqual({ 2: 'up' });
    const t0 = Date.now();
    await b!.stop();
    await expect.poll(() => listed(a!), { timeout: 3000, interval: 20 }).toEqual({ 2: 'down' });
    // The down notice arrives long before the key could have expired (node_timeout 6 s).
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a!.events.at(-1)?.params).toEqual({ cluster_id: 1, node_id: 2, new_state: 0 });

    // A node that vanishes without a word (its heartbeat key goes away as an expiry would remove it).
    const c = await startNode(env.redis.url, 3, { ping_interval: 5, node_timeout: 10 });
    nodes.push(c);
    await expect.poll(() => listed(a!)).toEqual({ 2: 'down', 3: 'up' });
    const r = new Redis(env.redis.port, '127.0.0.1');
    try {
      expect(await r.del('tsips:clu:1:node:3')).toBe(1);
    } finally {
      r.disconnect();
    }
    await expect.poll(() => listed(a!), { timeout: 2000 }).toEqual({ 2: 'down', 3: 'down' });
    expect(a!.events.at(-1)?.params).toEqual({ cluster_id: 1, node_id: 3, new_state: 0 });
  });

  it('refuses node_timeout not above ping_interval, and an unreachable Redis, at start', async () => {
    await expect(startNode(env.redis.url, 9, { ping_interval: 1, node_timeout: 1 })).rejects.toThrow(
      /modparam "node_timeout" \(1 s\) must be greater than ping_interval \(1 s\)/,
    );
    await expect(startNode('redis://127.0.0.1:1/0', 9)).rejects.toThrow(/cannot reach Redis at "redis:\/\/127\.0\.0\.1:1\/0"/);
  });
});
