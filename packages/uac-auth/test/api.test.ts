/**
 * The typed API as uac-registrant will use it: a module binding tm and uac_auth sends a REGISTER with tm's
 * request(), gets Kamailio's 401 (or 407), asks authenticate() for the next request and sends that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, defineModule } from '@core/sip';
import tm, { type TmApi, type UacRequest } from '@mod/tm';
import type { KamailioServer } from '@tsips/testkit';
import uacAuth, { type UacAuthApi } from '../src/index.js';
import { startChallenger } from './challenger.js';

let kam: KamailioServer;
let server: SipServer;
let bound: { tm: TmApi; auth: UacAuthApi } | undefined;

/** What uac-registrant does: binds both APIs in init (`load_tm_api()`, `load_uac_auth_api()`). */
const registrant = defineModule({
  name: 'test_registrant',
  version: '0.0.0',
  deps: [{ module: 'tm' }, { module: 'uac_auth' }],
  init(ctx) {
    bound = { tm: ctx.api('tm'), auth: ctx.api('uac_auth') };
    return bound;
  },
});

beforeAll(async () => {
  kam = await startChallenger('SHA-256');
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, uacAuth, registrant],
    modparams: { tm: { fr_timer: 2 }, uac_auth: { credential: 'alice:ok.test:pw-alice' } },
    routes: { request: (ctx) => void ctx.sl_send_reply(404, 'Not here') },
  });
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await kam?.stop();
});

function register(user: string, realm: string, callId: string): UacRequest {
  return {
    method: 'REGISTER',
    ruri: `sip:${user}@127.0.0.1:${kam.port}`,
    from: '<sip:alice@ok.test>',
    to: '<sip:alice@ok.test>',
    callId,
    contact: '<sip:alice@127.0.0.1>',
    headers: [
      ['X-Realm', realm],
      ['X-Qop', '1'],
      ['Expires', '60'],
    ],
  };
}

describe('uac_auth API with tm request()', () => {
  it('lookupCredential finds the modparam credential by realm', () => {
    expect(bound!.auth.lookupCredential('ok.test')).toEqual({ user: 'alice', realm: 'ok.test', password: 'pw-alice' });
    expect(bound!.auth.lookupCredential('OK.test')).toBe(undefined);
  });

  it('REGISTER → 401 → authenticate() → re-REGISTER with Authorization, CSeq 2, same Call-ID and From tag → 200', async () => {
    const { tm: t, auth } = bound!;
    const first = await t.request(register('www', 'ok.test', 'api-reg-1')).done;
    expect(first.code).toBe(401);
    const next = auth.authenticate(register('www', 'ok.test', 'api-reg-1'), first.reply!);
    if (!next.ok) throw new Error(`authenticate: ${next.reason}`);
    expect(next.request.cseq).toBe(2);
    expect(next.request.callId).toBe('api-reg-1');
    expect(next.request.from).toBe(first.reply!.header('From')); // the tag tm generated is kept
    expect(next.headers.map((h) => [h.name, h.realm])).toEqual([['Authorization', 'ok.test']]);
    expect(next.headers[0]!.value).toMatch(
      /^Digest username="alice", realm="ok\.test", nonce="[^"]+", uri="sip:www@127\.0\.0\.1:\d+", response="[0-9a-f]{64}", algorithm=SHA-256, cnonce="[0-9a-f]{32}", qop=auth, nc=00000001$/,
    );
    const done = await t.request(next.request).done;
    expect(done.code).toBe(200);
    expect(done.reply!.header('X-Auth-CSeq')).toBe('2');
    expect(done.reply!.callId).toBe('api-reg-1');
    // A refresh reusing the nonce (no new challenge): authorize() with the next nonce-count, accepted as is.
    const [c] = auth.parseChallenges(first.reply!);
    const refresh = register('www', 'ok.test', 'api-reg-1');
    const h = auth.authorize(c!, { method: 'REGISTER', uri: refresh.ruri }, auth.lookupCredential('ok.test')!, 2);
    expect(h?.value).toMatch(/, nc=00000002$/);
    const again = await t.request({ ...refresh, from: next.request.from, cseq: 3, headers: [...refresh.headers!, [h!.name, h!.value]] }).done;
    expect(again.code).toBe(200);
    expect(again.reply!.header('X-Auth-CSeq')).toBe('3');
  });

  it('407 → Proxy-Authorization; a caller-supplied credential wins over the modparam', async () => {
    const { tm: t, auth } = bound!;
    const req = register('proxy', 'acct.test', 'api-reg-2');
    const first = await t.request(req).done;
    expect(first.code).toBe(407);
    expect(auth.authenticate(req, first.reply!)).toEqual({ ok: false, reason: 'no_credentials', realm: 'acct.test' });
    const next = auth.authenticate(req, first.reply!, { credential: (realm) => (realm === 'acct.test' ? { user: 'dave', realm, password: 'pw-dave' } : undefined) });
    if (!next.ok) throw new Error(`authenticate: ${next.reason}`);
    expect(next.headers.map((h) => h.name)).toEqual(['Proxy-Authorization']);
    expect((await t.request(next.request).done).code).toBe(200);
  });

  it('a wrong password: the second 401 is not answered again (rejected), and nothing loops', async () => {
    const { tm: t, auth } = bound!;
    const wrong = { credential: () => ({ user: 'alice', realm: 'ok.test', password: 'wrong' }) };
    const req = register('www', 'ok.test', 'api-reg-3');
    const first = await t.request(req).done;
    const next = auth.authenticate(req, first.reply!, wrong);
    if (!next.ok) throw new Error(`authenticate: ${next.reason}`);
    const second = await t.request(next.request).done;
    expect(second.code).toBe(401);
    expect(auth.authenticate(next.request, second.reply!, wrong)).toEqual({ ok: false, reason: 'rejected', realm: 'ok.test' });
  });

  it('stale=true: answered again (CSeq 3, the Authorization replaced, not added) → 200', async () => {
    const { tm: t, auth } = bound!;
    const req = register('stale', 'ok.test', 'api-reg-4');
    const first = await t.request(req).done;
    const a = auth.authenticate(req, first.reply!);
    if (!a.ok) throw new Error(`authenticate: ${a.reason}`);
    const second = await t.request(a.request).done;
    expect(second.code).toBe(401);
    expect(auth.parseChallenges(second.reply!)[0]!.challenge.stale).toBe(true);
    const b = auth.authenticate(a.request, second.reply!);
    if (!b.ok) throw new Error(`authenticate: ${b.reason}`);
    expect(b.request.cseq).toBe(3);
    expect(b.request.headers!.filter((h) => h[0] === 'Authorization')).toHaveLength(1);
    const done = await t.request(b.request).done;
    expect(done.code).toBe(200);
    expect(done.reply!.header('X-Auth-CSeq')).toBe('3');
  });
});
