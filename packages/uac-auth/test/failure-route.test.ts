/**
 * uac_auth() in failure_route against a scripted UAS peer, for what Kamailio does not do: several
 * challenges in one reply, a 407 then a 401 on the same transaction, credentials from AVPs, and the
 * modparam checks at start.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SipServer, parseCredentials, type RouteContext } from '@core/sip';
import tm from '@mod/tm';
import { UdpPeer, finalOf, headerOf, headersOf, methodOf, nextMatching, replyTo, request, statusOf } from '@tsips/testkit';
import uacAuth from '../src/index.js';
import { digestResponse } from '../src/digest.js';

let server: SipServer;
let port = 0;
let uac: UdpPeer;
let uas: UdpPeer;

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, uacAuth],
    modparams: {
      tm: { fr_timer: 2 },
      uac_auth: {
        credential: ['alice:p1.test:pw1', 'alice:p2.test:pw2', 'alice:uas.test:pw3'],
        auth_realm_avp: '$avp(arealm)',
        auth_username_avp: '$avp(auser)',
        auth_password_avp: '$avp(apass)',
      },
    },
    routes: {
      async request(ctx: RouteContext) {
        const avp = ctx.hdr('X-Avp');
        if (avp !== undefined) {
          const [user, pass, realm] = avp.split('/');
          ctx.setAvp('auser', user!);
          ctx.setAvp('apass', pass!);
          if (realm !== undefined) ctx.setAvp('arealm', realm);
        }
        ctx.t_on_failure('auth');
        await ctx.t_relay();
      },
      failure_route: {
        async auth(ctx: RouteContext) {
          if (ctx.uac_auth() < 0) return;
          ctx.t_on_failure('auth');
          await ctx.t_relay();
        },
      },
    },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});

afterAll(async () => {
  uac?.close();
  uas?.close();
  await server?.stop();
});

beforeEach(async () => {
  for (const p of [uac, uas]) while (!(await p.silent(20)));
});

/** Checks a credentials header the way a server would: the response recomputed from its own params. */
function verify(value: string, method: string, password: string): { realm: string; username: string } {
  const c = parseCredentials(value);
  const expected = digestResponse({
    algorithm: 'MD5',
    username: c.username!,
    realm: c.realm!,
    password,
    method,
    uri: c.uri!,
    nonce: c.nonce!,
    qop: c.qop as 'auth' | undefined,
    nc: c.nc,
    cnonce: c.cnonce,
  });
  expect(c.response).toBe(expected);
  return { realm: c.realm!, username: c.username! };
}

const ruri = () => `sip:bob@127.0.0.1:${uas.port}`;

describe('uac_auth() in failure_route', () => {
  it('a 407 with the challenges of two proxies (two lines, one line holding two): each realm answered', async () => {
    await uac.send(request('INVITE', ruri(), uac.port, { callId: 'fr-merged' }), port);
    const inv = await uas.next();
    await uas.send(
      replyTo(inv.text, 407, 'Proxy Authentication Required', {
        toTag: 'x',
        headers: [
          'Proxy-Authenticate: Digest realm="p1.test", nonce="a", qop="auth", Digest realm="p1.test", nonce="b", algorithm=AKAv1-MD5',
          'Proxy-Authenticate: Digest realm="p2.test", nonce="c"',
        ],
      }),
      port,
    );
    const ack = await uas.next();
    expect(headerOf(ack.text, 'CSeq')).toBe('1 ACK'); // tm's hop-by-hop ACK of the 407 keeps the challenged CSeq
    const again = await nextMatching(uas, (t) => methodOf(t) === 'INVITE');
    expect(headerOf(again.text, 'CSeq')).toBe('2 INVITE');
    expect(headerOf(again.text, 'Call-ID')).toBe('fr-merged');
    expect(headerOf(again.text, 'From')).toBe(headerOf(inv.text, 'From'));
    const creds = headersOf(again.text, 'Proxy-Authorization');
    expect(creds.map((v, i) => verify(v, 'INVITE', i === 0 ? 'pw1' : 'pw2'))).toEqual([
      { realm: 'p1.test', username: 'alice' },
      { realm: 'p2.test', username: 'alice' },
    ]);
    expect(parseCredentials(creds[0]!).nonce).toBe('a');
    await uas.send(replyTo(again.text, 486, 'Busy Here', { toTag: 'y' }), port);
    const fin = await finalOf(uac, 'fr-merged');
    expect(statusOf(fin.text)).toBe(486);
    expect(headerOf(fin.text, 'CSeq')).toBe('1 INVITE'); // the caller's own CSeq back
  });

  it('407 then 401: the third copy keeps the Proxy-Authorization and adds the Authorization, CSeq 3', async () => {
    await uac.send(request('MESSAGE', ruri(), uac.port, { callId: 'fr-chain' }), port);
    const m1 = await uas.next();
    await uas.send(replyTo(m1.text, 407, 'Proxy Authentication Required', { toTag: 'x', headers: ['Proxy-Authenticate: Digest realm="p1.test", nonce="n1"'] }), port);
    const m2 = await uas.next();
    expect(headerOf(m2.text, 'CSeq')).toBe('2 MESSAGE');
    await uas.send(replyTo(m2.text, 401, 'Unauthorized', { toTag: 'y', headers: ['WWW-Authenticate: Digest realm="uas.test", nonce="n2", qop="auth"'] }), port);
    const m3 = await uas.next();
    expect(headerOf(m3.text, 'CSeq')).toBe('3 MESSAGE');
    expect(headersOf(m3.text, 'Proxy-Authorization').map((v) => verify(v, 'MESSAGE', 'pw1').realm)).toEqual(['p1.test']);
    expect(headersOf(m3.text, 'Authorization').map((v) => verify(v, 'MESSAGE', 'pw3').realm)).toEqual(['uas.test']);
    await uas.send(replyTo(m3.text, 200, 'OK', { toTag: 'z' }), port);
    const fin = await finalOf(uac, 'fr-chain');
    expect(statusOf(fin.text)).toBe(200);
    expect(headerOf(fin.text, 'CSeq')).toBe('1 MESSAGE');
  });

  it('credentials from the auth_*_avp AVPs come before the credential list; a realm AVP restricts them', async () => {
    await uac.send(request('MESSAGE', ruri(), uac.port, { callId: 'fr-avp', headers: ['X-Avp: carol/pw-carol'] }), port);
    const m1 = await uas.next();
    await uas.send(replyTo(m1.text, 401, 'Unauthorized', { toTag: 'x', headers: ['WWW-Authenticate: Digest realm="uas.test", nonce="n"'] }), port);
    const m2 = await uas.next();
    expect(verify(headerOf(m2.text, 'Authorization')!, 'MESSAGE', 'pw-carol')).toEqual({ realm: 'uas.test', username: 'carol' });
    await uas.send(replyTo(m2.text, 200, 'OK', { toTag: 'y' }), port);
    await finalOf(uac, 'fr-avp');

    await uac.send(request('MESSAGE', ruri(), uac.port, { callId: 'fr-avp-realm', headers: ['X-Avp: carol/pw-carol/elsewhere.test'] }), port);
    const n1 = await uas.next();
    await uas.send(replyTo(n1.text, 401, 'Unauthorized', { toTag: 'x', headers: ['WWW-Authenticate: Digest realm="uas.test", nonce="n"'] }), port);
    const n2 = await uas.next();
    expect(verify(headerOf(n2.text, 'Authorization')!, 'MESSAGE', 'pw3')).toEqual({ realm: 'uas.test', username: 'alice' });
    await uas.send(replyTo(n2.text, 200, 'OK', { toTag: 'y' }), port);
    await finalOf(uac, 'fr-avp-realm');
  });

  it('a reply that is not 401/407 (here 404): uac_auth() is false and the reply goes upstream', async () => {
    await uac.send(request('MESSAGE', ruri(), uac.port, { callId: 'fr-404' }), port);
    const m1 = await uas.next();
    await uas.send(replyTo(m1.text, 404, 'Not Found', { toTag: 'x' }), port);
    const fin = await finalOf(uac, 'fr-404');
    expect(statusOf(fin.text)).toBe(404);
    expect(await uas.silent(100)).toBe(true);
  });
});

describe('modparams', () => {
  async function start(params: Record<string, unknown>): Promise<unknown> {
    const s = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: 'silent' },
      modules: [tm, uacAuth],
      modparams: { uac_auth: params },
      routes: { request: () => undefined },
    });
    try {
      await s.start();
      return undefined;
    } catch (e) {
      return e;
    } finally {
      await s.stop().catch(() => undefined);
    }
  }

  it('refuses a credential not in user:realm:password form, naming the param', async () => {
    const e = await start({ credential: ['alice:ok.test:pw', 'bob@ok.test'] });
    expect(String(e)).toMatch(/module "uac_auth" param "credential/);
  });

  it('refuses one auth AVP param without the other two, naming them', async () => {
    const e = await start({ auth_username_avp: '$avp(u)' });
    expect(String(e)).toContain('module "uac_auth" param "auth_username_avp": needs auth_realm_avp and auth_password_avp too (all three AVPs or none)');
  });
});
