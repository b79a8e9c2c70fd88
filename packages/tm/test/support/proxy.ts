/** A tsips proxy with rr and tm on a free UDP port, routes swappable per test. */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { UdpPeer } from '@tsips/testkit';
import type { TmApi } from '../../src/index.js';
import { SipServer, type RouteContext, type RouteTable, type ServerConfig } from '@core/sip';
import rr from '@mod/rr';
import tm from '../../src/index.js';
import { DnsServer } from './dns-server.js';

type Route = (ctx: RouteContext) => unknown;

export interface Proxy {
  server: SipServer;
  port: number;
  routes: {
    request: Route;
    failure: Record<string, Route>;
    onreply: Record<string, Route>;
    branch: Record<string, Route>;
    /** local_route (requests tm originates); none by default. */
    local: Route | undefined;
  };
  stat(name: string): number;
  stop(): Promise<void>;
}

/** `core` adds core settings (dst_blacklist, disable_dns_failover …) to the config. */
/**
 * The DNS server of proxies whose test names none: a local one with no records, so a name answers NXDOMAIN at
 * once instead of waiting on the machine's resolver (which may time out, slowly, on a machine with no network).
 */
let emptyDns: Promise<DnsServer> | undefined;

export async function startProxy(modparams: Record<string, unknown> = {}, listen: string[] = ['udp:127.0.0.1:0'], core: Partial<ServerConfig> = {}): Promise<Proxy> {
  if (modparams['dns_servers'] === undefined) {
    emptyDns ??= DnsServer.start({}).then((d) => d.unref());
    modparams = { ...modparams, dns_servers: (await emptyDns).server };
  }
  const routes: Proxy['routes'] = { request: () => undefined, failure: {}, onreply: {}, branch: {}, local: undefined };
  const proxyRoute = (table: Record<string, Route>) =>
    new Proxy(
      {},
      {
        get: (_t, name: string) => {
          const r = table[name];
          return r === undefined ? undefined : async (ctx: RouteContext) => void (await r(ctx));
        },
        has: (_t, name: string) => name in table,
      },
    ) as Record<string, (ctx: RouteContext) => Promise<void>>;
  const table: RouteTable = {
    request: async (ctx) => void (await routes.request(ctx)),
    failure_route: proxyRoute(routes.failure),
    onreply_route: proxyRoute(routes.onreply),
    branch_route: proxyRoute(routes.branch),
    local_route: async (ctx) => void (await routes.local?.(ctx)),
  };
  const server = new SipServer({
    listen,
    mi: false,
    log: { level: 'silent' },
    flags: ['F_A', 'F_B', 'MINOR'],
    modules: [rr, tm],
    modparams: { tm: { fr_timer: 1, fr_inv_timer: 2, wt_timer: 0.2, T1_timer: 100, T2_timer: 400, T4_timer: 200, ...modparams } },
    routes: table,
    ...core,
  });
  await server.start();
  return {
    server,
    port: server.sockets[0]!.port,
    routes,
    stat: (name) => server.stats.query([`tm:${name}`])[0]?.value ?? 0,
    stop: () => server.stop(),
  };
}

/**
 * A proxy with tm and `count` UDP peers for one test file: started before all tests, peers drained of
 * leftover retransmissions before each, all closed after. Fields are filled once beforeAll has run.
 */
export function proxyWithPeers(count: number): { p: Proxy; api: TmApi; peers: UdpPeer[] } {
  const env = { p: undefined as unknown as Proxy, api: undefined as unknown as TmApi, peers: [] as UdpPeer[] };
  beforeAll(async () => {
    env.p = await startProxy();
    env.api = env.p.server.loader.apiOf('tm')!.api as TmApi;
    for (let i = 0; i < count; i++) env.peers.push(await UdpPeer.open());
  });
  afterAll(async () => {
    for (const peer of env.peers) peer.close();
    await env.p.stop();
  });
  beforeEach(async () => {
    for (const peer of env.peers) while (!(await peer.silent(20)));
  });
  return env;
}
