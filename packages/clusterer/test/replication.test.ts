import { describe, expect, it } from 'vitest';
import type { ReplicatedMessage, ReplicationChannel } from '../src/index.js';
import { redisForFile, startNode, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
const env = redisForFile(() => nodes);

/** A tiny replicated key/value store, as a module would keep dialogs or b2b entities. */
class Kv {
  readonly store = new Map<string, string>();
  readonly got: ReplicatedMessage[] = [];
  chunks = 0;
  readonly channel: ReplicationChannel;
  constructor(node: TestNode, cap = 'kv-repl') {
    this.channel = node.api.registerCapability(cap, 1, {
      onMessage: (m) => {
        this.got.push(m);
        if (m.type === 'put' && Array.isArray(m.payload)) this.store.set(String(m.payload[0]), String(m.payload[1]));
      },
      onSyncRequest: () => [...this.store],
      onSyncChunk: (items) => {
        this.chunks++;
        for (const it of items) if (Array.isArray(it)) this.store.set(String(it[0]), String(it[1]));
      },
    });
  }
  async put(k: string, v: string): Promise<void> {
    this.store.set(k, v);
    await this.channel.broadcast('put', [k, v]);
  }
}

describe('replication channels', () => {
  it('broadcasts to the other nodes, never back to the sender; unicasts reach only their node', async () => {
    nodes = await Promise.all([1, 2, 3].map((id) => startNode(env.redis.url, id)));
    const kv = nodes.map((n) => new Kv(n));
    await Promise.all(kv.map((k) => k.channel.requestSync()));
    await kv[0]!.put('a', '1');
    await kv[0]!.put('b', '2');
    await expect.poll(() => [kv[1]!.store.get('b'), kv[2]!.store.get('b')]).toEqual(['2', '2']);
    expect(kv[1]!.got.map((m) => [m.type, m.payload, m.sourceNode])).toEqual([
      ['put', ['a', '1'], 1],
      ['put', ['b', '2'], 1],
    ]);
    expect(kv[0]!.got).toEqual([]);
    await kv[2]!.channel.send(2, 'put', ['only2', 'x']);
    await expect.poll(() => kv[1]!.store.get('only2')).toBe('x');
    await kv[2]!.channel.broadcast('put', ['after', 'y']);
    await expect.poll(() => kv[0]!.store.get('after')).toBe('y');
    // The unicast, sent before the broadcast on the same channel, was dropped by node 1 and not delivered late.
    expect(kv[0]!.store.has('only2')).toBe(false);
    expect(nodes[0]!.stat('clusterer_received_msgs')).toBe(1);
    expect(nodes[0]!.stat('clusterer_sent_msgs')).toBeGreaterThanOrEqual(2);
  });

  it('a node joining later gets the full state from a synced node, in chunks', async () => {
    nodes = await Promise.all([1, 2].map((id) => startNode(env.redis.url, id)));
    const kv = nodes.map((n) => new Kv(n));
    await Promise.all(kv.map((k) => k.channel.requestSync()));
    // 250 items: three chunks of at most 100.
    for (let i = 0; i < 250; i++) await kv[0]!.put(`k${i}`, `v${i}`);
    await expect.poll(() => kv[1]!.store.size).toBe(250);

    // A long seed fallback keeps "a donor answered" and "gave up and became the seed" seconds apart.
    const late = await startNode(env.redis.url, 3, { seed_fallback_interval: 6 });
    nodes.push(late);
    const kv3 = new Kv(late);
    const t0 = Date.now();
    await kv3.channel.requestSync();
    expect(Date.now() - t0).toBeLessThan(3000); // a donor answered; no seed fallback wait (6 s)
    expect(kv3.store.size).toBe(250);
    expect(kv3.chunks).toBe(3);
    expect(kv3.store.get('k249')).toBe('v249');
    const served = nodes[0]!.stat('clusterer_sync_requests') + nodes[1]!.stat('clusterer_sync_requests');
    expect(served).toBe(1);
    // The donor is the lowest synced node id.
    expect(nodes[0]!.stat('clusterer_sync_requests')).toBe(1);
    expect(await late.mi('clusterer_list_cap')).toEqual([{ capability: 'kv-repl', cluster_id: 1, sync_state: 'synced' }]);
  });

  it('the first node, with nobody to sync from, becomes the seed after seed_fallback_interval', async () => {
    nodes = [await startNode(env.redis.url, 1)];
    const kv = new Kv(nodes[0]!, 'seed-test');
    expect(await nodes[0]!.mi('clusterer_list_cap')).toEqual([{ capability: 'seed-test', cluster_id: 1, sync_state: 'none' }]);
    const t0 = Date.now();
    await kv.channel.requestSync();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(await nodes[0]!.mi('clusterer_list_cap')).toEqual([{ capability: 'seed-test', cluster_id: 1, sync_state: 'synced' }]);
    expect(() => nodes[0]!.api.registerCapability('seed-test', 1, { onMessage: () => undefined })).toThrow(
      'clusterer: capability "seed-test" is already registered for cluster 1',
    );
  });
});
