/**
 * profile_replication_cluster: two in-process proxies on one real Redis, without dialog replication. Each
 * counts its own dialogs and the other's replicated counts; a node that stops takes its counts with it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@tsips/testkit';
import clusterer from '@mod/clusterer';
import { Proxy, answerNext, call } from './proxy.js';
import type { Ua } from './sip-ua.js';

let redis: RedisServer;
let nodes: Proxy[] = [];
const uas: Ua[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const u of uas.splice(0)) u.close();
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});
afterAll(async () => {
  await redis?.stop();
});

const FAST = { ping_interval: 0.1, node_timeout: 0.6, seed_fallback_interval: 0.3 };

async function node(id: number, dialog: Record<string, unknown> = {}): Promise<Proxy> {
  const p = await Proxy.start(
    {
      clusterer: { my_node_id: id, cachedb_url: redis.url, ...FAST },
      dialog: { profile_replication_cluster: 1, replicate_profiles_check: 0.5, replicate_profiles_expire: 2, profiles_with_value: 'trunk', ...dialog },
    },
    [clusterer],
  );
  nodes.push(p);
  p.hooks = { flags: '', recordRoute: true, initial: (ctx) => void ctx.set_dlg_profile('trunk', 'gw') };
  return p;
}

const trunk = async (p: Proxy, value?: string): Promise<number> =>
  ((await p.mi('profile_get_size', { profile: 'trunk', ...(value !== undefined ? { value } : {}) })) as { Profile: { count: number } }).Profile.count;

describe('profile_replication_cluster', () => {
  it('sizes count the other nodes; an ended call and a stopped node leave the counts exact', async () => {
    const n1 = await node(1);
    const n2 = await node(2);
    const c1 = await call(n1);
    const c2 = await call(n2);
    uas.push(c1.caller, c1.callee, c2.caller, c2.callee);
    await expect.poll(() => trunk(n1, 'gw')).toBe(2);
    await expect.poll(() => trunk(n2, 'gw')).toBe(2);
    expect(await trunk(n2)).toBe(2);
    expect(await trunk(n2, 'other')).toBe(0);

    await c1.caller.sendInDialog('BYE');
    await answerNext(c1.callee);
    await expect.poll(() => trunk(n2, 'gw')).toBe(1);
    expect(await trunk(n1, 'gw')).toBe(1);
    expect(n2.stat('profile_repl_received')).toBeGreaterThanOrEqual(2);

    // Node 2 stops cleanly: node 1 sees it down at once and forgets its count.
    await n2.stop();
    nodes = [n1];
    await expect.poll(() => trunk(n1, 'gw'), { timeout: 3000 }).toBe(0);
  }, 30_000);

  it('refuses to run together with dialog replication, naming both params', async () => {
    await expect(node(1, { dialog_replication_cluster: 1 })).rejects.toThrow('dialog: profile_replication_cluster and dialog_replication_cluster are both set');
  });
});
