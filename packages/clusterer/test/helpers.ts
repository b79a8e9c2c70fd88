/** Test helpers: a SipServer per cluster node, in this process, with the clusterer module loaded. */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { SipServer, type EventParams } from '@core/sip';
import clusterer, { type ClustererApi } from '../src/index.js';

/** Short intervals so failover tests run in seconds. */
export const FAST = { ping_interval: 0.1, node_timeout: 0.6, seed_fallback_interval: 0.5 };

export interface TestNode {
  id: number;
  server: SipServer;
  api: ClustererApi;
  events: { name: string; params: EventParams }[];
  mi(cmd: string, params?: Record<string, unknown>): Promise<unknown>;
  stat(name: string): number;
  stop(): Promise<void>;
}

export async function startNode(url: string, id: number, params: Record<string, unknown> = {}): Promise<TestNode> {
  const events: TestNode['events'] = [];
  const record = (params: EventParams, name: string): void => void events.push({ name, params });
  const server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [clusterer],
    modparams: { clusterer: { my_node_id: id, cachedb_url: url, ...FAST, ...params } },
    // event_route handlers are armed before modules start, so the first node changes are seen too.
    routes: { request: () => undefined, event_route: { E_CLUSTERER_NODE_STATE_CHANGED: record, E_CLUSTERER_SHARING_TAG_CHANGED: record } },
  });
  await server.start();
  const api = server.loader.apiOf('clusterer')?.api as ClustererApi;
  return {
    id,
    server,
    api,
    events,
    mi: (cmd, p) => server.mi.call(cmd, p ?? {}),
    stat: (name) => server.stats.query([`clusterer:${name}`])[0]?.value ?? 0,
    stop: () => server.stop(),
  };
}

/** Node ids of the nodes holding `tag` active. */
export function activeOn(nodes: readonly TestNode[], tag: string, cluster = 1): number[] {
  return nodes.filter((n) => n.server.ready && n.api.getShtagState(tag, cluster) === 'active').map((n) => n.id);
}

/**
 * One redis-server for a test file (started before all, stopped after all); after each test the nodes
 * that `current()` returns are stopped (stopping twice is harmless).
 */
export function redisForFile(current: () => readonly TestNode[]): { readonly redis: RedisServer } {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(current().map((n) => n.stop()));
  });
  return {
    get redis(): RedisServer {
      if (redis === undefined) throw new Error('redis is started in beforeAll');
      return redis;
    },
  };
}
