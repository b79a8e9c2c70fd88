/**
 * Issue 12, clusterer part: replication messages published during a Redis outage are held and published
 * after it (in order), a node whose subscriber reconnected re-syncs from a donor, and a sync whose end
 * marker announces more items than arrived is not taken as complete.
 */
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ReplicatedMessage, ReplicationChannel } from '../src/index.js';
import { redisForFile, startNode, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
const env = redisForFile(() => nodes);

class Kv {
  readonly store = new Map<string, string>();
  readonly got: ReplicatedMessage[] = [];
  readonly ends: { donor: number; resync: boolean; complete: boolean; items: number }[] = [];
  readonly channel: ReplicationChannel;
  constructor(node: TestNode) {
    this.channel = node.api.registerCapability('kv-repl', 1, {
      onMessage: (m) => {
        this.got.push(m);
        if (m.type === 'put' && Array.isArray(m.payload)) this.store.set(String(m.payload[0]), String(m.payload[1]));
      },
      onSyncRequest: () => [...this.store],
      onSyncChunk: (items) => {
        for (const it of items) if (Array.isArray(it)) this.store.set(String(it[0]), String(it[1]));
      },
      onSyncEnd: (info) => void this.ends.push(info),
    });
  }
}

describe('replication across a Redis outage', () => {
  it('holds broadcasts made while Redis is away and publishes them, in order, once it is back', async () => {
    nodes = await Promise.all([1, 2].map((id) => startNode(env.redis.url, id)));
    const kv = nodes.map((n) => new Kv(n));
    await Promise.all(kv.map((k) => k.channel.requestSync()));
    await kv[0]!.channel.broadcast('put', ['before', '1']);
    await expect.poll(() => kv[1]!.store.get('before')).toBe('1');

    await env.redis.kill();
    await expect.poll(async () => ((await nodes[0]!.mi('clusterer_list')) as { redis: string }).redis).toBe('down');
    const sent = Array.from({ length: 5 }, (_, i) => kv[0]!.channel.broadcast('put', [`k${i}`, `v${i}`]));
    expect(nodes[0]!.stat('clusterer_queued_msgs')).toBe(5);
    await env.redis.up();
    await Promise.all(sent); // each resolves once really published
    await expect.poll(() => kv[1]!.got.length, { timeout: 10_000 }).toBe(6);
    // Delivered as messages (not only by a re-sync), in the order they were made.
    expect(kv[1]!.got.map((m) => m.payload)).toEqual([['before', '1'], ...Array.from({ length: 5 }, (_, i) => [`k${i}`, `v${i}`])]);
    expect(nodes[0]!.stat('clusterer_dropped_msgs')).toBe(0);
  });

  it('a node whose subscriber lost its connection re-syncs from a donor after the reconnect', async () => {
    nodes = await Promise.all([1, 2].map((id) => startNode(env.redis.url, id)));
    const kv = nodes.map((n) => new Kv(n));
    await Promise.all(kv.map((k) => k.channel.requestSync()));
    // A change node 2 never heard of (its message was published while node 2 was cut off).
    kv[0]!.store.set('missed', 'x');
    const raw = new Redis(env.redis.port, '127.0.0.1');
    try {
      const list = String(await raw.call('CLIENT', 'LIST'));
      const id = /id=(\d+) .*name=tsips-clu-2-sub/.exec(list)?.[1];
      expect(id).toBeDefined();
      await raw.call('CLIENT', 'KILL', 'ID', id!);
    } finally {
      raw.disconnect();
    }
    await expect.poll(() => kv[1]!.store.get('missed'), { timeout: 5000 }).toBe('x');
    expect(kv[1]!.ends.at(-1)).toMatchObject({ donor: 1, resync: true, complete: true });
    expect(nodes[0]!.stat('clusterer_sync_requests')).toBe(1);
    expect(await nodes[1]!.mi('clusterer_list_cap')).toEqual([{ capability: 'kv-repl', cluster_id: 1, sync_state: 'synced' }]);
  });

  it('a sync that announces more items than arrived is retried, not taken as complete', async () => {
    // A donor that loses a chunk the first time: its heartbeat and replies are real Redis traffic.
    const donor = new Redis(env.redis.port, '127.0.0.1');
    const sub = new Redis(env.redis.port, '127.0.0.1');
    await donor.set('tsips:clu:1:node:9', JSON.stringify({ caps: { 'kv-repl': 'synced' } }), 'PX', 20_000);
    let requests = 0;
    await sub.subscribe('tsips:clu:1:cap:kv-repl');
    sub.on('message', (channel: string, text: string) => {
      const e = JSON.parse(text) as { s: number; d?: number; k: string; i?: string };
      if (e.k !== 'sq' || e.d !== 9) return;
      requests++;
      const items =
        requests === 1
          ? [
              ['a', '1'],
              ['b', '2'],
            ]
          : [
              ['a', '1'],
              ['b', '2'],
              ['c', '3'],
            ];
      void donor
        .publish(channel, JSON.stringify({ s: 9, d: e.s, i: e.i, k: 'sc', p: items }))
        .then(() => donor.publish(channel, JSON.stringify({ s: 9, d: e.s, i: e.i, k: 'se', p: 3 })));
    });
    try {
      nodes = [await startNode(env.redis.url, 1)];
      const kv = new Kv(nodes[0]!);
      await expect.poll(() => nodes[0]!.api.upNodes(1)).toEqual([9]);
      await kv.channel.requestSync();
      expect(requests).toBe(2);
      expect(kv.ends).toEqual([
        { donor: 9, resync: false, complete: false, items: 2 },
        { donor: 9, resync: false, complete: true, items: 3 },
      ]);
      expect(nodes[0]!.stat('clusterer_sync_incomplete')).toBe(1);
      expect(kv.store.size).toBe(3);
    } finally {
      await donor.del('tsips:clu:1:node:9');
      donor.disconnect();
      sub.disconnect();
    }
  });
});
