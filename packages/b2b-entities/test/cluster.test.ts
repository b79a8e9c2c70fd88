/**
 * cluster_id: two nodes replicate their entities through the clusterer (Redis). A session answered by node 1
 * is on node 2 too; after a takeover (the caller's requests now reach node 2) node 2 answers them and ends
 * the session on both; a node that starts later gets every entity by sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyModule } from '@core/sip';
import clusterer from '@mod/clusterer';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { B2bServer, Ua, statusOf, tagOf, headerOf } from './helpers.js';

const FAST = { ping_interval: 0.1, node_timeout: 0.6, seed_fallback_interval: 0.5 };
let redis: RedisServer;
const nodes: B2bServer[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

async function node(id: number): Promise<B2bServer> {
  const n = await B2bServer.start(
    { cluster_id: 1 },
    { modules: [clusterer as AnyModule], modparams: { clusterer: { my_node_id: id, cachedb_url: redis.url, cluster_id: 1, ...FAST } } },
  );
  nodes.push(n);
  return n;
}
const keysOf = async (n: B2bServer) => ((await n.mi('b2be_list')) as Record<string, unknown>[]).map((e) => String(e['to_tag']));

describe('b2be-entities-repl', () => {
  it('replicates sessions, a node that starts later syncs them, and the other node takes a session over', async () => {
    const n1 = await node(1);
    const n2 = await node(2);
    n1.steer.flags = 'a';
    // A call answered by node 1.
    const ua = await Ua.open(n1.port);
    await ua.invite();
    const ok = (await ua.next()).text;
    expect(statusOf(ok)).toBe(200);
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    const key = ua.remoteTag;
    await expect.poll(() => keysOf(n2), { timeout: 5000 }).toEqual([key]);
    await expect.poll(async () => ((await n2.mi('ua_session_list', { key })) as Record<string, unknown>)['state'], { timeout: 5000 }).toBe(5);
    // A third node joining later gets it by sync.
    const n3 = await node(3);
    await expect.poll(() => keysOf(n3), { timeout: 5000 }).toEqual([key]);
    // Takeover: the caller's next requests reach node 2 (as after a VIP move).
    (ua as unknown as { serverPort: number }).serverPort = n2.port;
    await ua.sendInDialog('BYE');
    const r = (await ua.next()).text;
    expect(statusOf(r)).toBe(200);
    expect(tagOf(headerOf(r, 'To'))).toBe(key);
    await expect.poll(() => n2.eventsOf(key)).toEqual(['TERMINATED:BYE']);
    // Ended on node 2, deleted everywhere.
    await expect.poll(() => keysOf(n1), { timeout: 5000 }).toEqual([]);
    await expect.poll(() => keysOf(n3), { timeout: 5000 }).toEqual([]);
    expect(await keysOf(n2)).toEqual([]);
    // Node 1 saw the NEW and the ACK; the BYE only node 2.
    expect(n1.eventsOf(key)).toEqual(['NEW:INVITE', 'UPDATED:ACK']);
    ua.close();
  }, 30_000);
});
