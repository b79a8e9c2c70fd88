/** Server entities over real UDP: ua_session_server_init, E_UA_SESSION, in-dialog routing, BYE, CANCEL, MI. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { B2bServer, SDP, Ua, bodyOf, headerOf, methodOf, statusOf, tagOf } from './helpers.js';

let h: B2bServer;
beforeAll(async () => {
  h = await B2bServer.start();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(() => {
  h.steer = { flags: '' };
});

/** INVITE → 200 (our key in the To-tag) → ACK; returns the caller and the key. */
async function answered(flags = ''): Promise<{ ua: Ua; key: string; ok: string }> {
  h.steer.flags = flags;
  const ua = await Ua.open(h.port);
  await ua.invite();
  const ok = (await ua.next()).text;
  expect(statusOf(ok)).toBe(200);
  ua.learn(ok);
  await ua.sendInDialog('ACK');
  return { ua, key: ua.remoteTag, ok };
}

describe('ua_session_server_init + ua_session_reply', () => {
  it('answers with the key as To-tag, our Contact and the SDP; NEW then ACK (flag a) as events; BYE ends it', async () => {
    const before = h.mainRoute.length;
    const { ua, key, ok } = await answered('ab');
    expect(key).toMatch(/^B2B\.\d+\.\d+\.\d+\.\d+$/);
    expect(headerOf(ok, 'Contact')).toBe(`<sip:127.0.0.1:${h.port}>`);
    expect(headerOf(ok, 'Content-Type')).toBe('application/sdp');
    expect(bodyOf(ok)).toBe(SDP);
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'UPDATED:ACK']);
    const neu = h.events.find((e) => e['key'] === key && e['event_type'] === 'NEW');
    expect(neu).toMatchObject({ entity_type: 'UAS', status: null, reason: null, headers: null, extra_params: null, body: SDP });
    const listed = (await h.mi('ua_session_list', { key })) as Record<string, unknown>;
    expect(listed).toMatchObject({ state: 5, to_tag: key, mod_name: 'b2b_entities', last_reply_code: 200, last_invite_cseq: 1, cseq: { caller: 1, callee: 0 } });
    await ua.sendInDialog('BYE');
    const r = (await ua.next()).text;
    expect(statusOf(r)).toBe(200);
    expect(headerOf(r, 'CSeq')).toBe('2 BYE');
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'UPDATED:ACK', 'TERMINATED:BYE']);
    // Only the initial INVITE went through the main route.
    expect(h.mainRoute.slice(before)).toEqual(['INVITE']);
    await expect(h.mi('ua_session_list', { key })).rejects.toThrow(`E_B2B_KEY: ua_session_list: no b2b entity with key "${key}"`);
    ua.close();
  });

  it('no NEW with n, no ACK event without a, headers with h, extra_params in NEW', async () => {
    h.steer.request = (ctx) => {
      if (!ctx.has_totag() && ctx.is_method('INVITE')) {
        let viaVar = '';
        const k = ctx.ua_session_server_init((v) => (viaVar = v), 'h', 'my-extra');
        expect(viaVar).toBe(k);
        ctx.ua_session_reply(k, 'INVITE', 200, 'OK', SDP);
      }
    };
    const { ua, key } = await answered();
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE']);
    const neu = h.events.find((e) => e['key'] === key)!;
    expect(neu['extra_params']).toBe('my-extra');
    expect(neu['body']).toBeNull();
    expect(String(neu['headers'])).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=[^\r]+\r\nMax-Forwards: 70\r\n/);
    await ua.sendInDialog('BYE');
    await ua.next();
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'TERMINATED:BYE']);
    ua.close();

    h.steer.request = undefined;
    const b = await answered('n');
    await b.ua.sendInDialog('BYE');
    await b.ua.next();
    await expect.poll(() => h.eventsOf(b.key)).toEqual(['TERMINATED:BYE']);
    b.ua.close();
  });

  it('a re-INVITE is UPDATED and answered from event_route with ua_session_reply', async () => {
    h.steer.event = (p, ctx) => {
      if (p['event_type'] === 'UPDATED' && p['method'] === 'INVITE') ctx.ua_session_reply(String(p['key']), 'INVITE', 200, 'OK', SDP.replace('4000', '5000'));
      if (p['event_type'] === 'UPDATED' && p['method'] === 'UPDATE') ctx.ua_session_reply(String(p['key']), 'UPDATE', 200, 'OK');
    };
    const { ua, key } = await answered('b');
    await ua.sendInDialog('INVITE', { body: SDP });
    const ok = (await ua.next()).text;
    expect(statusOf(ok)).toBe(200);
    expect(headerOf(ok, 'CSeq')).toBe('2 INVITE');
    expect(tagOf(headerOf(ok, 'To'))).toBe(key);
    expect(bodyOf(ok)).toContain('m=audio 5000');
    await ua.sendInDialog('ACK');
    await ua.sendInDialog('UPDATE');
    expect(statusOf((await ua.next()).text)).toBe(200);
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'UPDATED:INVITE', 'UPDATED:UPDATE']);
    expect(h.events.filter((e) => e['key'] === key).map((e) => e['body'])).toEqual([SDP, SDP, null]);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['state']).toBe(5);
    await h.mi('ua_session_terminate', { key });
    const bye = (await ua.next()).text;
    expect(methodOf(bye)).toBe('BYE');
    expect(headerOf(bye, 'To')).toBe(`<sip:alice@127.0.0.1>;tag=${ua.localTag}`);
    expect(tagOf(headerOf(bye, 'From'))).toBe(key);
    expect(bye.split('\r\n')[0]).toBe(`BYE ${ua.contact} SIP/2.0`);
    await ua.reply(bye, 200, 'OK');
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    ua.close();
  });

  it('MI ua_session_update sends OPTIONS with a growing CSeq; ua_session_reply answers an OPTIONS from the caller', async () => {
    const { ua, key } = await answered('r');
    await h.mi('ua_session_update', { key, method: 'OPTIONS' });
    const o1 = (await ua.next()).text;
    expect(methodOf(o1)).toBe('OPTIONS');
    expect(headerOf(o1, 'CSeq')).toBe('1 OPTIONS');
    await ua.reply(o1, 200, 'OK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'ANSWERED:OPTIONS:200']);
    await h.mi('ua_session_update', { key, method: 'INFO', body: 'hello', content_type: 'text/plain', extra_headers: 'X-A: 1\r\nX-B: 2' });
    const info = (await ua.next()).text;
    expect(headerOf(info, 'CSeq')).toBe('2 INFO');
    expect(headerOf(info, 'Content-Type')).toBe('text/plain');
    expect([headerOf(info, 'X-A'), headerOf(info, 'X-B'), bodyOf(info)]).toEqual(['1', '2', 'hello']);
    await ua.reply(info, 486, 'Busy');
    await expect.poll(() => h.eventsOf(key).at(-1)).toBe('REJECTED:INFO:486');
    // The caller asks; the session answers over MI.
    await ua.sendInDialog('OPTIONS');
    await expect.poll(() => h.eventsOf(key).at(-1)).toBe('UPDATED:OPTIONS');
    await h.mi('ua_session_reply', { key, method: 'OPTIONS', code: 200, reason: 'Fine' });
    expect((await ua.next()).text.split('\r\n')[0]).toBe('SIP/2.0 200 Fine');
    await expect(h.mi('ua_session_reply', { key, method: 'OPTIONS', code: 200, reason: 'again' })).rejects.toThrow(
      `E_B2B_STATE: ua_session_reply: entity "${key}" has no OPTIONS waiting for a reply`,
    );
    await h.mi('ua_session_terminate', { key });
    const bye = (await ua.next()).text;
    expect(headerOf(bye, 'CSeq')).toBe('3 BYE');
    await ua.reply(bye, 200, 'OK');
    await expect.poll(() => h.eventsOf(key).at(-1)).toBe('ANSWERED:BYE:200');
    ua.close();
  });

  it('CANCEL of an unanswered session: 200 to it, 487 to the INVITE, TERMINATED; a 481 for an unknown key', async () => {
    let key = '';
    h.steer.request = (ctx) => {
      if (!ctx.has_totag() && ctx.is_method('INVITE')) {
        key = ctx.ua_session_server_init(null, '');
        ctx.ua_session_reply(key, 'INVITE', 180, 'Ringing');
      }
    };
    const ua = await Ua.open(h.port);
    const inv = await ua.invite();
    const ringing = (await ua.next()).text;
    expect(statusOf(ringing)).toBe(180);
    expect(tagOf(headerOf(ringing, 'To'))).toBe(key);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['state']).toBe(3);
    // A retransmitted INVITE gets the 180 again and never reaches the script.
    const seen = h.mainRoute.length;
    await ua.send(inv);
    expect(statusOf((await ua.next()).text)).toBe(180);
    expect(h.mainRoute.length).toBe(seen);
    const branch = /branch=([^;\r]+)/.exec(inv)![1]!;
    await ua.send(ua.request('CANCEL', { ruri: `sip:bob@127.0.0.1:${h.port}`, initial: true, cseq: 1, branch }));
    const got = [(await ua.next()).text, (await ua.next()).text].map((t) => `${statusOf(t)} ${headerOf(t, 'CSeq')}`).sort();
    expect(got).toEqual(['200 1 CANCEL', '487 1 INVITE']);
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'TERMINATED:CANCEL']);
    expect(h.mainRoute.length).toBe(seen);
    // The session is gone: an in-dialog request with its key gets 481.
    ua.remoteTag = key;
    ua.remoteTarget = `sip:127.0.0.1:${h.port}`;
    await ua.sendInDialog('BYE');
    expect(statusOf(await ua.nextWhere((t) => /CSeq: 2 BYE/.test(t)))).toBe(481);
    ua.close();
  });

  it('a retransmitted INVITE after our 200 or 486 gets the same reply again, and no second session', async () => {
    const ua = await Ua.open(h.port);
    const inv = await ua.invite();
    const ok = (await ua.next()).text;
    await ua.send(inv);
    const again = (await ua.next()).text;
    expect([statusOf(again), headerOf(again, 'To')]).toEqual([200, headerOf(ok, 'To')]);
    // Nothing else for it (before, the script failed on it and the core answered 500 as well).
    expect(await ua.silent(200)).toBe(true);
    expect(((await h.mi('ua_session_list')) as unknown[]).length).toBe(1);
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    await ua.sendInDialog('BYE');
    expect(statusOf(await ua.nextWhere((t) => /CSeq: 2 BYE/.test(t)))).toBe(200);
    let n = 0;
    h.steer.request = (ctx) => {
      if (ctx.is_method('INVITE') && !ctx.has_totag()) {
        const k = ctx.ua_session_server_init(null, ''); // a retransmission ends the script here
        n++;
        ctx.ua_session_reply(k, 'INVITE', 486, 'Busy Here');
      }
    };
    const inv2 = await ua.invite();
    expect(statusOf((await ua.next()).text)).toBe(486);
    await ua.send(inv2);
    expect(statusOf((await ua.next()).text)).toBe(486);
    expect(await ua.silent(200)).toBe(true);
    expect(n).toBe(1);
    expect(await h.mi('ua_session_list')).toEqual([]);
    ua.close();
  });

  it('our 2xx is retransmitted until the ACK, then no more (RFC 3261 13.3.1.4)', async () => {
    const ua = await Ua.open(h.port);
    await ua.invite();
    const ok = (await ua.next()).text;
    expect(statusOf((await ua.next(1500)).text)).toBe(200);
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    expect(await ua.silent(1200)).toBe(true);
    await ua.sendInDialog('BYE');
    expect(statusOf((await ua.next()).text)).toBe(200);
    ua.close();
  });

  it('a negative final reply ends the session; its ACK is absorbed', async () => {
    let key = '';
    h.steer.request = (ctx) => {
      if (!ctx.has_totag() && ctx.is_method('INVITE')) {
        key = ctx.ua_session_server_init(null, 'a');
        ctx.ua_session_reply(key, 'INVITE', 486, 'Busy Here');
      }
    };
    const ua = await Ua.open(h.port);
    const inv = await ua.invite();
    const busy = (await ua.next()).text;
    expect(statusOf(busy)).toBe(486);
    ua.learn(busy);
    // The ACK of a negative reply is hop by hop: the INVITE's branch and R-URI (RFC 3261 17.1.1.3).
    const branch = /branch=([^;\r]+)/.exec(inv)![1]!;
    await ua.send(ua.request('ACK', { ruri: `sip:bob@127.0.0.1:${h.port}`, cseq: 1, branch }));
    expect(await ua.silent(700)).toBe(true); // no 486 retransmission: the ACK reached the transaction
    expect(h.eventsOf(key)).toEqual(['NEW:INVITE']);
    expect(await h.mi('ua_session_list')).toEqual([]);
    ua.close();
  });

  it('the t flag ends a session with BYE after its time', async () => {
    const { ua, key } = await answered('t1r');
    const bye = await ua.nextWhere((t) => methodOf(t) === 'BYE', 4000);
    expect(tagOf(headerOf(bye, 'From'))).toBe(key);
    await ua.reply(bye, 200, 'OK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'ANSWERED:BYE:200']);
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    ua.close();
  });
});

describe('misuse', () => {
  it('names the unknown key, the bad flag, the bad method and the wrong state', async () => {
    await expect(h.mi('ua_session_update', { key: 'B2B.1.2.3.4', method: 'OPTIONS' })).rejects.toThrow(
      'E_B2B_KEY: ua_session_update: no b2b entity with key "B2B.1.2.3.4"',
    );
    await expect(h.mi('ua_session_terminate', { key: 'nope' })).rejects.toThrow('E_B2B_KEY: ua_session_terminate: no b2b entity with key "nope"');
    const { ua, key } = await answered();
    await expect(h.mi('ua_session_update', { key, method: 'BAD METHOD' })).rejects.toThrow('E_B2B_METHOD: ua_session_update: method "BAD METHOD" is not a SIP method');
    await expect(h.mi('ua_session_update', { key, method: 'ACK' })).rejects.toThrow(`E_B2B_STATE: ua_session_update: entity "${key}" has no 2xx waiting for an ACK`);
    await expect(h.mi('ua_session_reply', { key, method: 'INVITE', code: 99, reason: 'x' })).rejects.toThrow(
      'E_B2B_CODE: ua_session_reply: reply code 99 is not 100–699',
    );
    let err: unknown;
    h.steer.request = (ctx) => {
      try {
        ctx.ua_session_server_init(null, 'xz');
      } catch (e) {
        err = e;
        ctx.sl_send_reply(500, 'bad flags');
      }
    };
    const ua2 = await Ua.open(h.port);
    await ua2.invite();
    expect(statusOf((await ua2.next()).text)).toBe(500);
    expect(String(err)).toContain('E_B2B_FLAGS: ua_session_server_init: flags "xz": unknown flag "x" (use t<sec>, a, r, d, h, b, n)');
    h.steer.request = (ctx) => {
      try {
        ctx.ua_session_server_init(null, '');
      } catch (e) {
        err = e;
        ctx.sl_send_reply(500, 'not invite');
      }
    };
    await ua2.send(ua2.request('OPTIONS', { ruri: `sip:bob@127.0.0.1:${h.port}`, initial: true }));
    expect(statusOf((await ua2.next()).text)).toBe(500);
    expect(String(err)).toContain('E_B2B_METHOD: ua_session_server_init: method "OPTIONS" is not an initial INVITE');
    await h.mi('ua_session_terminate', { key });
    await ua.reply((await ua.next()).text, 200, 'OK');
    ua.close();
    ua2.close();
  });
});
