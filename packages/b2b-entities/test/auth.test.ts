/** Client entities authenticated by uac_auth against Kamailio's auth module: a 401/407 is answered once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyModule, EventParams } from '@core/sip';
import uacAuth from '@mod/uac-auth';
import type { KamailioServer } from '@tsips/testkit';
// The digest challenger of uac-auth's own Kamailio tests (passwords are pw-<user>).
import { startChallenger } from '../../uac-auth/test/challenger.js';
import { B2bServer } from './helpers.js';

let kam: KamailioServer;
let h: B2bServer;
beforeAll(async () => {
  kam = await startChallenger('MD5');
  h = await B2bServer.start({}, { modules: [uacAuth as AnyModule], modparams: { uac_auth: { credential: ['alice:ok.test:pw-alice', 'bob:bad.test:not-pw-bob'] } } });
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await kam?.stop();
});

const last = (key: string): EventParams | undefined => h.events.filter((e) => e['key'] === key).at(-1);

describe('auth retry', () => {
  it('401 then 200: the INVITE is sent again with credentials (CSeq 2), the owner sees only the 200; BYE is authenticated too', async () => {
    const key = (await h.mi('ua_session_client_start', {
      ruri: `sip:www@127.0.0.1:${kam.port}`,
      to: 'sip:www@ok.test',
      from: 'sip:alice@ok.test',
      extra_headers: 'X-Realm: ok.test\r\nX-Qop: 1',
      flags: 'rh',
    })) as string;
    await expect.poll(() => h.eventsOf(key), { timeout: 5000 }).toEqual(['ANSWERED:INVITE:200']);
    expect(String(last(key)?.['headers'])).toMatch(/X-Auth-CSeq: 2/);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['cseq']).toEqual({ caller: 2, callee: 0 });
    await h.mi('ua_session_terminate', { key, extra_headers: 'X-Realm: ok.test\r\nX-Qop: 1' });
    await expect.poll(() => h.eventsOf(key), { timeout: 5000 }).toEqual(['ANSWERED:INVITE:200', 'ANSWERED:BYE:200']);
    expect(String(last(key)?.['headers'])).toMatch(/X-Auth-CSeq: 4/);
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
  });

  it('a wrong password: the second 401 is the final answer (REJECTED), tried once only', async () => {
    const key = (await h.mi('ua_session_client_start', {
      ruri: `sip:www@127.0.0.1:${kam.port}`,
      to: 'sip:www@bad.test',
      from: 'sip:bob@bad.test',
      extra_headers: 'X-Realm: bad.test\r\nX-Qop: 0',
      flags: 'r',
    })) as string;
    await expect.poll(() => h.eventsOf(key), { timeout: 5000 }).toEqual(['REJECTED:INVITE:401']);
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    expect(kam.log().match(new RegExp(`www ${key.replace(/\./g, '\\.')} cseq=`, 'g'))?.length).toBe(2);
  });

  it('a realm without credentials: the 407 goes to the owner as is', async () => {
    const key = (await h.mi('ua_session_client_start', {
      ruri: `sip:proxy@127.0.0.1:${kam.port}`,
      to: 'sip:x@none.test',
      from: 'sip:alice@none.test',
      extra_headers: 'X-Realm: none.test\r\nX-Qop: 0',
      flags: 'r',
    })) as string;
    await expect.poll(() => h.eventsOf(key), { timeout: 5000 }).toEqual(['REJECTED:INVITE:407']);
  });
});
