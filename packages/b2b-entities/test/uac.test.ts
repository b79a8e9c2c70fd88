/** Client entities over real UDP: MI ua_session_client_start to a callee, re-INVITE / UPDATE / OPTIONS, BYE, CANCEL, b2be_list. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { B2bServer, SDP, Ua, bodyOf, headerOf, methodOf, statusOf, tagOf } from './helpers.js';

let h: B2bServer;
beforeAll(async () => {
  h = await B2bServer.start({ advertised_contact: 'sip:b2b@127.0.0.1' });
});
afterAll(async () => {
  await h.stop();
});
beforeEach(() => {
  h.steer = { flags: '' };
});

async function start(callee: Ua, flags: string, extra: Record<string, unknown> = {}): Promise<{ key: string; inv: string }> {
  const key = (await h.mi('ua_session_client_start', {
    ruri: `sip:bob@127.0.0.1:${callee.port}`,
    to: 'Bob,sip:bob@example.com',
    from: 'Alice,sip:alice@example.com',
    body: SDP,
    flags,
    ...extra,
  })) as string;
  const inv = (await callee.next()).text;
  callee.learnInvite(inv);
  return { key, inv };
}

describe('ua_session_client_start', () => {
  it('sends the INVITE (key as Call-ID, display names, SDP, advertised_contact), ACKs the 2xx, reports replies with r', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const { key, inv } = await start(callee, 'rb', { extra_headers: 'X-Test: yes' });
    expect(key).toMatch(/^B2B\.\d+\.\d+\.\d+\.\d+$/);
    expect(inv.split('\r\n')[0]).toBe(`INVITE sip:bob@127.0.0.1:${callee.port} SIP/2.0`);
    expect(headerOf(inv, 'Call-ID')).toBe(key);
    expect(headerOf(inv, 'From')).toMatch(/^"Alice" <sip:alice@example\.com>;tag=[0-9a-f]+$/);
    expect(headerOf(inv, 'To')).toBe('"Bob" <sip:bob@example.com>');
    expect(headerOf(inv, 'Contact')).toBe('<sip:b2b@127.0.0.1>');
    expect(headerOf(inv, 'X-Test')).toBe('yes');
    expect(headerOf(inv, 'Content-Type')).toBe('application/sdp');
    expect(bodyOf(inv)).toBe(SDP);
    await callee.reply(inv, 180, 'Ringing');
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180']);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['state']).toBe(3);
    await callee.reply(inv, 200, 'OK', { body: SDP });
    const ack = (await callee.next()).text;
    expect(methodOf(ack)).toBe('ACK');
    expect(headerOf(ack, 'CSeq')).toBe('1 ACK');
    // A retransmitted 2xx (our ACK lost) gets the same ACK again, and is not reported twice.
    await callee.reply(inv, 200, 'OK', { body: SDP });
    expect((await callee.next()).text).toBe(ack);
    expect(ack.split('\r\n')[0]).toBe(`ACK ${callee.contact} SIP/2.0`);
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180', 'ANSWERED:INVITE:200']);
    expect(h.events.find((e) => e['key'] === key && e['event_type'] === 'ANSWERED')).toMatchObject({ entity_type: 'UAC', reason: 'OK', body: SDP });
    const list = (await h.mi('b2be_list')) as Record<string, unknown>[];
    const ent = list.find((e) => e['callid'] === key);
    expect(ent).toMatchObject({
      state: 5,
      mod_name: 'b2b_entities',
      logic_key: '',
      last_invite_cseq: 1,
      last_method: 1,
      last_reply_code: 200,
      db_flag: 2,
      ruri: `sip:bob@127.0.0.1:${callee.port}`,
      from: '"Alice" <sip:alice@example.com>',
      from_uri: 'sip:alice@example.com',
      to: '"Bob" <sip:bob@example.com>',
      to_uri: 'sip:bob@example.com',
      to_tag: callee.localTag,
      cseq: { caller: 1, callee: 0 },
      contact: { caller: 'sip:b2b@127.0.0.1', callee: callee.contact },
      send_sock: `udp:127.0.0.1:${h.port}`,
    });
    expect(ent!['from_tag']).toBe(tagOf(headerOf(inv, 'From')));
    // The callee hangs up; the session is gone.
    await callee.sendInDialog('BYE');
    expect(statusOf((await callee.next()).text)).toBe(200);
    await expect.poll(() => h.eventsOf(key).at(-1)).toBe('TERMINATED:BYE');
    expect(((await h.mi('b2be_list')) as Record<string, unknown>[]).some((e) => e['callid'] === key)).toBe(false);
    callee.close();
  });

  it('re-INVITE, UPDATE and OPTIONS from us with growing CSeq, then BYE', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const { key, inv } = await start(callee, 'r');
    await callee.reply(inv, 200, 'OK', { body: SDP });
    await callee.next(); // ACK
    await h.mi('ua_session_update', { key, method: 'INVITE', body: SDP });
    const re = (await callee.next()).text;
    expect([methodOf(re), headerOf(re, 'CSeq'), tagOf(headerOf(re, 'To'))]).toEqual(['INVITE', '2 INVITE', callee.localTag]);
    expect(headerOf(re, 'Contact')).toBe('<sip:b2b@127.0.0.1>');
    await callee.reply(re, 200, 'OK', { body: SDP });
    expect(headerOf((await callee.next()).text, 'CSeq')).toBe('2 ACK');
    // A re-INVITE without SDP (offer in the 2xx, answer in the ACK): flag d would be needed to send it; auto ACK has none.
    await h.mi('ua_session_update', { key, method: 'UPDATE' });
    const up = (await callee.next()).text;
    expect(headerOf(up, 'CSeq')).toBe('3 UPDATE');
    await callee.reply(up, 200, 'OK');
    await h.mi('ua_session_update', { key, method: 'OPTIONS' });
    const op = (await callee.next()).text;
    expect([methodOf(op), headerOf(op, 'CSeq'), headerOf(op, 'Contact')]).toEqual(['OPTIONS', '4 OPTIONS', undefined]);
    await callee.reply(op, 200, 'OK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['ANSWERED:INVITE:200', 'ANSWERED:INVITE:200', 'ANSWERED:UPDATE:200', 'ANSWERED:OPTIONS:200']);
    await h.mi('ua_session_terminate', { key });
    const bye = (await callee.next()).text;
    expect(headerOf(bye, 'CSeq')).toBe('5 BYE');
    await callee.reply(bye, 200, 'OK');
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    callee.close();
  });

  it('flag d: the 2xx waits for ua_session_update(ACK) with the answer SDP (offer in the 2xx)', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const key = (await h.mi('ua_session_client_start', {
      ruri: `sip:bob@127.0.0.1:${callee.port}`,
      to: 'sip:bob@example.com',
      from: 'sip:alice@example.com',
      flags: 'd',
    })) as string;
    const inv = (await callee.next()).text;
    expect(bodyOf(inv)).toBe('');
    callee.learnInvite(inv);
    await callee.reply(inv, 200, 'OK', { body: SDP });
    expect(await callee.silent(300)).toBe(true);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['state']).toBe(4);
    await h.mi('ua_session_update', { key, method: 'ACK', body: SDP });
    const ack = (await callee.next()).text;
    expect([methodOf(ack), headerOf(ack, 'Content-Type'), bodyOf(ack)]).toEqual(['ACK', 'application/sdp', SDP]);
    expect(((await h.mi('ua_session_list', { key })) as Record<string, unknown>)['state']).toBe(5);
    await h.mi('ua_session_terminate', { key });
    await callee.reply((await callee.next()).text, 200, 'OK');
    callee.close();
  });

  it('terminate before the answer CANCELs; a rejected INVITE ends the session with REJECTED', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const { key, inv } = await start(callee, 'r');
    await callee.reply(inv, 180, 'Ringing');
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180']);
    await h.mi('ua_session_terminate', { key });
    const cancel = (await callee.next()).text;
    expect([methodOf(cancel), headerOf(cancel, 'CSeq')]).toEqual(['CANCEL', '1 CANCEL']);
    await callee.reply(cancel, 200, 'OK');
    await callee.reply(inv, 487, 'Request Terminated');
    expect(methodOf((await callee.next()).text)).toBe('ACK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180', 'REJECTED:INVITE:487']);
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);

    const b = await start(callee, 'r');
    await callee.reply(b.inv, 486, 'Busy Here');
    await expect.poll(() => h.eventsOf(b.key)).toEqual(['REJECTED:INVITE:486']);
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    callee.close();
  });

  it('proxy: the INVITE goes to the outbound proxy with the R-URI untouched; socket names the sending socket', async () => {
    const proxy = await Ua.open(h.port, 'proxy');
    const key = (await h.mi('ua_session_client_start', {
      ruri: 'sip:carol@far.example',
      to: 'sip:carol@far.example',
      from: 'sip:alice@example.com',
      proxy: `sip:127.0.0.1:${proxy.port}`,
      socket: `udp:127.0.0.1:${h.port}`,
    })) as string;
    const inv = (await proxy.next()).text;
    expect(inv.split('\r\n')[0]).toBe('INVITE sip:carol@far.example SIP/2.0');
    expect(headerOf(inv, 'Call-ID')).toBe(key);
    proxy.learnInvite(inv);
    await proxy.reply(inv, 404, 'Not Found');
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    proxy.close();
  });

  it('misuse: bad addresses and an unknown socket are named', async () => {
    await expect(h.mi('ua_session_client_start', { ruri: 'sip:x@127.0.0.1', to: 'bob', from: 'sip:a@b' })).rejects.toThrow(
      'E_B2B_ARG: ua_session_client_start: "bob" is not a SIP URI',
    );
    await expect(h.mi('ua_session_client_start', { ruri: 'sip:x@127.0.0.1', to: 'sip:b@c', from: 'sip:a@b', socket: 'udp:10.0.0.1:5060' })).rejects.toThrow(
      /E_B2B_ARG: ua_session_client_start: socket "udp:10\.0\.0\.1:5060" is not one of ours/,
    );
    await expect(h.mi('ua_session_client_start', { ruri: 'sip:x@127.0.0.1', to: 'sip:b@c', from: 'sip:a@b', flags: 't0' })).rejects.toThrow(
      'E_B2B_FLAGS: ua_session_client_start: flags "t0": "t" needs a number of seconds > 0',
    );
  });
});
