/**
 * uac_auth() in failure_route against a real challenger: Kamailio's auth module (MD5 and SHA-256, the two
 * algorithms it offers; qop none and auth). A UDP UAC sends through a tsips proxy whose failure_route is
 * `if (uac_auth() > 0) t_relay()`. Not qop=auth-int: Kamailio 5.6 offers it but cannot verify it (its
 * auth_check_response hashes an H(entity-body) it never computes), so auth-int is pinned by the digest
 * unit tests (values computed with md5sum) instead.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SipServer, type RouteContext } from '@core/sip';
import tm from '@mod/tm';
import { UdpPeer, finalOf, headerOf, request, statusOf, type KamailioServer } from '@tsips/testkit';
import uacAuth from '../src/index.js';
import { startChallenger } from './challenger.js';

const kam: Partial<Record<'MD5' | 'SHA-256', KamailioServer>> = {};
let server: SipServer;
let port = 0;
let uac: UdpPeer;
/** What uac_auth() returned, per Call-ID, round by round. */
const rounds = new Map<string, number[]>();

beforeAll(async () => {
  [kam.MD5, kam['SHA-256']] = await Promise.all([startChallenger('MD5'), startChallenger('SHA-256')]);
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, uacAuth],
    modparams: {
      tm: { fr_timer: 2 },
      uac_auth: { credential: ['alice:ok.test:pw-alice', 'bob:bad.test:not-pw-bob', 'carol:other.test:pw-carol'] },
    },
    routes: {
      async request(ctx: RouteContext) {
        ctx.$du = ctx.hdr('X-Next') ?? '';
        ctx.t_on_failure('auth');
        await ctx.t_relay();
      },
      failure_route: {
        async auth(ctx: RouteContext) {
          const rc = ctx.uac_auth();
          rounds.set(ctx.$ci, [...(rounds.get(ctx.$ci) ?? []), rc]);
          if (rc < 0) return;
          ctx.$du = ctx.hdr('X-Next') ?? '';
          ctx.t_on_failure('auth');
          await ctx.t_relay();
        },
      },
    },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
}, 60_000);

afterAll(async () => {
  uac?.close();
  await server?.stop();
  await Promise.all(Object.values(kam).map((k) => k.stop()));
});

beforeEach(async () => {
  while (!(await uac.silent(20)));
});

let n = 0;
/** A MESSAGE from the UAC through the proxy to Kamailio; the final reply it gets back. */
async function send(alg: 'MD5' | 'SHA-256', user: string, realm: string, qop: 0 | 1): Promise<{ text: string; callId: string }> {
  const k = kam[alg]!;
  const callId = `ua-${alg}-${user}-${realm}-${qop}-${++n}`;
  const msg = request('MESSAGE', `sip:${user}@127.0.0.1:${k.port}`, uac.port, {
    callId,
    headers: [`X-Realm: ${realm}`, `X-Qop: ${qop}`, `X-Next: sip:127.0.0.1:${k.port}`, 'Content-Type: text/plain'],
    body: 'hello',
  });
  await uac.send(msg, port);
  const r = await finalOf(uac, callId, 8000).catch((e: unknown) => {
    throw new Error(`${String(e)}\nkamailio log:\n${k.log().slice(-3000)}`);
  });
  return { text: r.text, callId };
}

describe.each(['MD5', 'SHA-256'] as const)('Kamailio auth, algorithm %s', (alg) => {
  it.each([
    [0, 'no qop (RFC 2069)'],
    [1, 'qop=auth'],
  ] as const)('right password, 401 → Authorization → 200 (%s: %s)', async (qop, _what) => {
    const { text, callId } = await send(alg, 'www', 'ok.test', qop);
    expect(statusOf(text)).toBe(200);
    expect(headerOf(text, 'X-Auth-CSeq')).toBe('2'); // Kamailio saw CSeq + 1 …
    expect(headerOf(text, 'CSeq')).toBe('1 MESSAGE'); // … the UAC gets its own back
    expect(rounds.get(callId)).toEqual([1]);
  });

  it('right password, 407 → Proxy-Authorization → 200', async () => {
    const { text, callId } = await send(alg, 'proxy', 'ok.test', 1);
    expect(statusOf(text)).toBe(200);
    expect(headerOf(text, 'CSeq')).toBe('1 MESSAGE');
    expect(rounds.get(callId)).toEqual([1]);
  });

  it('wrong password: the second challenge is not answered, the UAC gets the 401 / 407', async () => {
    const www = await send(alg, 'www', 'bad.test', 1);
    expect(statusOf(www.text)).toBe(401);
    expect(headerOf(www.text, 'WWW-Authenticate')).toMatch(/realm="bad\.test"/);
    expect(headerOf(www.text, 'CSeq')).toBe('1 MESSAGE');
    expect(rounds.get(www.callId)).toEqual([1, -3]);
    const proxy = await send(alg, 'proxy', 'bad.test', 1);
    expect(statusOf(proxy.text)).toBe(407);
    expect(rounds.get(proxy.callId)).toEqual([1, -3]);
  });

  it('no credentials for the realm: -2, the 401 goes back', async () => {
    const { text, callId } = await send(alg, 'www', 'nobody.test', 1);
    expect(statusOf(text)).toBe(401);
    expect(rounds.get(callId)).toEqual([-2]);
  });

  it('stale=true: answered again with the new nonce, not counted as a failure → 200', async () => {
    const { text, callId } = await send(alg, 'stale', 'ok.test', 1);
    expect(statusOf(text)).toBe(200);
    expect(headerOf(text, 'X-Auth-CSeq')).toBe('3');
    expect(headerOf(text, 'CSeq')).toBe('1 MESSAGE');
    expect(rounds.get(callId)).toEqual([1, 1]);
  });
});
