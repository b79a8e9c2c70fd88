/**
 * The TMCB types a module registers through the tm API fire in OpenSIPS's order: REQUEST_BUILT before
 * REQUEST_FWDED, RESPONSE_PRE_OUT before RESPONSE_OUT, LOCAL_RESPONSE_OUT only for tm's own replies,
 * ON_FAILURE_RO then ON_FAILURE before failure_route; getPickedBranch and lookupOriginal answer from a route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, defineModule, type RouteContext } from '@core/sip';
import { UdpPeer, request, headerOf, statusOf, replyTo, nextMatching, finalOf } from '@tsips/testkit';
import rr from '@mod/rr';
import tm, { type TmApi, type TmcbType, type Transaction } from '../src/index.js';

const ALL: TmcbType[] = [
  'TMCB_REQUEST_BUILT',
  'TMCB_REQUEST_FWDED',
  'TMCB_RESPONSE_IN',
  'TMCB_RESPONSE_PRE_OUT',
  'TMCB_RESPONSE_FWDED',
  'TMCB_RESPONSE_OUT',
  'TMCB_LOCAL_RESPONSE_OUT',
  'TMCB_ON_FAILURE_RO',
  'TMCB_ON_FAILURE',
];
const seen = new Map<string, string[]>();
let api: TmApi;

/** Registers every type on each new transaction and logs `TYPE code` per Call-ID. */
const watcher = defineModule({
  name: 'tmcb_watcher',
  version: '0.0.0',
  deps: [{ module: 'tm' }],
  init(ctx) {
    api = ctx.api('tm');
    api.registerTmcb('TMCB_REQUEST_IN', (_type, p) => {
      const log: string[] = [];
      seen.set(p.req.header('call-id') ?? '', log);
      api.registerTmcb(ALL, (type, q) => void log.push(`${type.slice(5)} ${q.code}`), p.t);
    });
    return {};
  },
});

let server: SipServer;
let port: number;
let uac: UdpPeer;
let uas: UdpPeer;
let route: (ctx: RouteContext) => unknown = () => undefined;
let failure: (ctx: RouteContext) => unknown = () => undefined;

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [rr, tm, watcher],
    modparams: { tm: { fr_timer: 1, fr_inv_timer: 2, wt_timer: 0.2 } },
    routes: {
      request: async (ctx) => void (await route(ctx)),
      failure_route: { f: async (ctx) => void (await failure(ctx)) },
    },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  await server.stop();
});

describe('TMCB types', () => {
  it('a relayed INVITE answered 486, with failure_route: built/fwded, our 100, RO then ON_FAILURE, the relayed 486', async () => {
    let picked = -2;
    route = async (ctx) => {
      ctx.t_on_failure('f');
      await ctx.t_relay();
    };
    failure = (ctx) => {
      picked = api.getPickedBranch(api.getTransaction(ctx)!);
    };
    await uac.send(request('INVITE', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'tmcb-1' }), port);
    const inv = await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'tmcb-1');
    await uas.send(replyTo(inv.text, 486, 'Busy Here', { toTag: 'b' }), port);
    expect(statusOf((await finalOf(uac, 'tmcb-1')).text)).toBe(486);
    await expect.poll(() => seen.get('tmcb-1')?.at(-1)).toBe('RESPONSE_OUT 486');
    expect(seen.get('tmcb-1')).toEqual([
      'RESPONSE_PRE_OUT 100',
      'RESPONSE_OUT 100',
      'LOCAL_RESPONSE_OUT 100',
      'REQUEST_BUILT 0',
      'REQUEST_FWDED 0',
      'RESPONSE_IN 486',
      'ON_FAILURE_RO 486',
      'ON_FAILURE 486',
      'RESPONSE_PRE_OUT 486',
      'RESPONSE_FWDED 486',
      'RESPONSE_OUT 486',
    ]);
    expect(picked).toBe(0);
  });

  it('t_reply: PRE_OUT, OUT and LOCAL_RESPONSE_OUT, no branch', async () => {
    route = (ctx) => ctx.t_reply(404, 'Nobody');
    await uac.send(request('MESSAGE', 'sip:x@127.0.0.1', uac.port, { callId: 'tmcb-2' }), port);
    await finalOf(uac, 'tmcb-2');
    await expect.poll(() => seen.get('tmcb-2')?.length).toBe(3);
    expect(seen.get('tmcb-2')).toEqual(['RESPONSE_PRE_OUT 404', 'RESPONSE_OUT 404', 'LOCAL_RESPONSE_OUT 404']);
  });

  it('lookupOriginal finds the INVITE a CANCEL cancels; undefined for a CANCEL with none', async () => {
    const found: (Transaction | undefined)[] = [];
    route = async (ctx) => {
      if (ctx.is_method('CANCEL')) {
        found.push(api.lookupOriginal(ctx));
        return;
      }
      if (ctx.is_method('INVITE')) await ctx.t_relay();
    };
    const inv = request('INVITE', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'tmcb-3', branch: 'z9hG4bKtmcb3' });
    await uac.send(inv, port);
    await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'tmcb-3');
    const cancel = request('CANCEL', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'tmcb-3', branch: 'z9hG4bKtmcb3' }).replace(
      /tag=a\d+/,
      /tag=a\d+/.exec(inv)![0],
    );
    await uac.send(cancel, port);
    await uac.send(request('CANCEL', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'tmcb-none' }), port);
    await expect.poll(() => found.length).toBe(2);
    expect(found[0]?.method).toBe('INVITE');
    expect(found[0]?.request.header('call-id')).toBe('tmcb-3');
    expect(found[1]).toBe(undefined);
  });
});
