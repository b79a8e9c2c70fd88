import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, defineModule, type RouteContext } from '@core/sip';
import { UdpPeer, headersOf as hdrs } from '@tsips/testkit';
import rr from '../src/index.js';

const firstLine = (text: string) => text.split('\r\n')[0];

let route: (ctx: RouteContext) => void | Promise<void> = () => undefined;
let server: SipServer;
let port: number;
let tcpPort: number;
let a: UdpPeer;
let b: UdpPeer;
const seenByCallback: string[] = [];

// A consumer module binding the rr API the way dialog will (load_rr_api).
const consumer = defineModule({
  name: 'rr_consumer',
  version: '1.0.0',
  deps: [{ module: 'rr' }],
  init(ctx) {
    const api = ctx.api('rr');
    api.registerRrCallback((rc, params) => seenByCallback.push(`${rc.$rm}:${params}`));
    return api;
  },
  functions: {
    tag_did: {
      handler(api, ctx, did: string) {
        api.addRrParam(ctx, `did=${did}`);
        return 1;
      },
    },
  },
});

function req(method: string, ruri: string, from: UdpPeer, extra: string[] = [], toTag?: string): string {
  return [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=caller1',
    `To: <sip:bob@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
    'Call-ID: rr-test@127.0.0.1',
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [consumer, rr],
    routes: { request: (ctx) => route(ctx) },
  });
  await server.start();
  port = server.sockets[0]!.port;
  tcpPort = server.sockets[1]!.port;
  a = await UdpPeer.open();
  b = await UdpPeer.open();
});
afterAll(async () => {
  a.close();
  b.close();
  await server.stop();
});

describe('record_route', () => {
  it('adds Record-Route with lr, ftag and the params of add_rr_param / record_route(params)', async () => {
    route = async (ctx) => {
      ctx.record_route('foo=bar');
      (ctx as unknown as { tag_did(d: string): number }).tag_did('42.7');
      await ctx.forward(`udp:127.0.0.1:${b.port}`);
    };
    await a.send(req('INVITE', 'sip:bob@127.0.0.1', a), port);
    const got = (await b.next()).text;
    expect(hdrs(got, 'Record-Route')).toEqual([`<sip:127.0.0.1:${port};lr;ftag=caller1;foo=bar;did=42.7>`]);
  });

  it('adds two Record-Route headers when the request leaves on another socket (double RR)', async () => {
    route = async (ctx) => {
      ctx.record_route();
      await ctx.forward(`tcp:127.0.0.1:${tcpPort}`); // to ourselves over TCP, just to see the copy
    };
    let seen = '';
    const prev = route;
    route = async (ctx) => {
      if (ctx.$proto === 'tcp') {
        seen = ctx.msg.raw.toString('latin1');
        ctx.sl_send_reply(200, 'OK');
        return;
      }
      await prev(ctx);
    };
    await a.send(req('INVITE', 'sip:bob@127.0.0.1', a), port);
    await expect.poll(() => seen, { timeout: 3000 }).not.toBe('');
    expect(hdrs(seen, 'Record-Route')).toEqual([`<sip:127.0.0.1:${tcpPort};transport=tcp;lr;ftag=caller1>`, `<sip:127.0.0.1:${port};lr;ftag=caller1>`]);
  });

  it('record_route_preset uses the given address', async () => {
    route = async (ctx) => {
      ctx.record_route_preset('203.0.113.9:5080');
      await ctx.forward(`udp:127.0.0.1:${b.port}`);
    };
    await a.send(req('INVITE', 'sip:bob@127.0.0.1', a), port);
    expect(hdrs((await b.next()).text, 'Record-Route')).toEqual(['<sip:203.0.113.9:5080;lr;ftag=caller1>']);
  });
});

describe('loose_route', () => {
  it('pops our Route, routes to the next loose router via $du, runs rr callbacks, tells the direction', async () => {
    let result = 0;
    let dir = '';
    let did: string | null | undefined;
    route = async (ctx) => {
      result = ctx.loose_route();
      dir = ctx.is_direction('downstream') > 0 ? 'downstream' : 'upstream';
      did = server.loader.apiOf('rr')?.api
        ? (server.loader.apiOf('rr')!.api as { getRouteParam(c: RouteContext, n: string): string | null | undefined }).getRouteParam(ctx, 'did')
        : undefined;
      await ctx.forward();
    };
    seenByCallback.length = 0;
    await a.send(req('BYE', 'sip:bob@192.0.2.99', a, [`Route: <sip:127.0.0.1:${port};lr;ftag=caller1;did=7.1>, <sip:127.0.0.1:${b.port};lr>`], 'callee1'), port);
    const got = (await b.next()).text;
    expect(result).toBe(1);
    expect(dir).toBe('downstream');
    expect(did).toBe('7.1');
    expect(seenByCallback).toEqual(['BYE:;lr;ftag=caller1;did=7.1']);
    expect(firstLine(got)).toBe('BYE sip:bob@192.0.2.99 SIP/2.0'); // R-URI untouched: loose routing
    expect(hdrs(got, 'Route')).toEqual([`<sip:127.0.0.1:${b.port};lr>`]);
  });

  it('says upstream for a request from the callee, and -1 with no Route', async () => {
    const results: number[] = [];
    let dir = 0;
    route = (ctx) => {
      results.push(ctx.loose_route());
      dir = ctx.is_direction('upstream');
      ctx.sl_send_reply(200, 'OK');
    };
    while (a.queued > 0) await a.next(); // the double-RR test's 200 was relayed back to a
    await a.send(req('BYE', 'sip:x@127.0.0.1:1', a, [`Route: <sip:127.0.0.1:${port};lr;ftag=othertag>`], 't'), port);
    await a.next();
    expect(dir).toBe(1);
    await a.send(req('OPTIONS', 'sip:x@127.0.0.1:1', a), port);
    await a.next();
    expect(results).toEqual([1, -1]);
  });

  it('routes to a strict router by putting it in the R-URI and the old R-URI at the end (RFC 3261 16.12)', async () => {
    route = async (ctx) => {
      ctx.loose_route();
      await ctx.forward(`udp:127.0.0.1:${b.port}`);
    };
    await a.send(req('BYE', 'sip:bob@192.0.2.99', a, [`Route: <sip:127.0.0.1:${port};lr>, <sip:198.51.100.1>`], 'c'), port);
    const got = (await b.next()).text;
    expect(firstLine(got)).toBe('BYE sip:198.51.100.1 SIP/2.0');
    expect(hdrs(got, 'Route')).toEqual(['<sip:bob@192.0.2.99>']);
  });

  it('restores the R-URI from the last Route when a strict router put our address there (RFC 3261 16.4)', async () => {
    route = async (ctx) => {
      ctx.loose_route();
      await ctx.forward(`udp:127.0.0.1:${b.port}`);
    };
    await a.send(req('BYE', `sip:127.0.0.1:${port};lr`, a, ['Route: <sip:carol@192.0.2.5>'], 'c'), port);
    const got = (await b.next()).text;
    expect(firstLine(got)).toBe('BYE sip:carol@192.0.2.5 SIP/2.0');
    expect(hdrs(got, 'Route')).toEqual([]);
  });
});
