/** PRACK (RFC 3262) generated here or end to end (passthru_prack), and re-INVITE glare (RFC 3261 14.1/14.2). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { B2bServer, SDP, Ua, headerOf, methodOf, statusOf } from './helpers.js';

async function clientStart(h: B2bServer, callee: Ua, flags = 'r'): Promise<{ key: string; inv: string }> {
  const key = (await h.mi('ua_session_client_start', {
    ruri: `sip:bob@127.0.0.1:${callee.port}`,
    to: 'sip:bob@example.com',
    from: 'sip:alice@example.com',
    body: SDP,
    flags,
  })) as string;
  const inv = (await callee.next()).text;
  callee.learnInvite(inv);
  return { key, inv };
}

/** The script answers an initial INVITE with a reliable 183 only. */
function reliable183(h: B2bServer, flags: string): { key: () => string } {
  let key = '';
  h.steer.request = (ctx) => {
    if (ctx.is_method('INVITE') && !ctx.has_totag()) {
      key = ctx.ua_session_server_init(null, flags);
      ctx.ua_session_reply(key, 'INVITE', 183, 'Session Progress', SDP, 'Require: 100rel');
    }
  };
  return { key: () => key };
}

describe('passthru_prack = 0: PRACK generated here', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start();
  });
  afterAll(() => h.stop());

  it('client entity: a reliable 183 is PRACKed with its RAck, to its Contact; the owner sees the 183, not the PRACK reply', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const { key, inv } = await clientStart(h, callee);
    expect(headerOf(inv, 'Supported')).toBe('100rel');
    await callee.reply(inv, 183, 'Session Progress', { body: SDP, extra: ['Require: 100rel', 'RSeq: 7'] });
    const prack = (await callee.next()).text;
    expect([methodOf(prack), headerOf(prack, 'RAck'), headerOf(prack, 'CSeq')]).toEqual(['PRACK', '7 1 INVITE', '2 PRACK']);
    expect(prack.split('\r\n')[0]).toBe(`PRACK ${callee.contact} SIP/2.0`);
    await callee.reply(prack, 200, 'OK');
    // A retransmitted 183 (same RSeq) gets no second PRACK.
    await callee.reply(inv, 183, 'Session Progress', { body: SDP, extra: ['Require: 100rel', 'RSeq: 7'] });
    expect(await callee.silent(300)).toBe(true);
    await callee.reply(inv, 200, 'OK', { body: SDP });
    expect(headerOf((await callee.next()).text, 'CSeq')).toBe('1 ACK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:183', 'ANSWERED:INVITE:200']);
    await h.mi('ua_session_terminate', { key });
    const bye = (await callee.next()).text;
    expect(headerOf(bye, 'CSeq')).toBe('3 BYE');
    await callee.reply(bye, 200, 'OK');
    callee.close();
  });

  it('server entity: a reliable 183 gets RSeq, is retransmitted until its PRACK, which is answered here', async () => {
    const s = reliable183(h, 'r');
    const ua = await Ua.open(h.port);
    await ua.invite();
    const p1 = (await ua.next()).text;
    expect([statusOf(p1), headerOf(p1, 'RSeq'), headerOf(p1, 'Require')]).toEqual([183, '1', '100rel']);
    // No PRACK yet: sent again after T1.
    const p2 = (await ua.next(1500)).text;
    expect([statusOf(p2), headerOf(p2, 'RSeq')]).toEqual([183, '1']);
    ua.learn(p1);
    await ua.sendInDialog('PRACK', { extra: ['RAck: 1 1 INVITE'] });
    const ok = await ua.nextWhere((t) => /CSeq: 2 PRACK/.test(t));
    expect(statusOf(ok)).toBe(200);
    expect(await ua.silent(1200)).toBe(true); // retransmissions stopped
    // A PRACK that matches nothing: 481.
    await ua.sendInDialog('PRACK', { extra: ['RAck: 9 1 INVITE'] });
    expect(statusOf((await ua.next()).text)).toBe(481);
    expect(h.eventsOf(s.key())).toEqual(['NEW:INVITE']);
    await h.mi('ua_session_reply', { key: s.key(), method: 'INVITE', code: 200, reason: 'OK', body: SDP });
    expect(statusOf((await ua.next()).text)).toBe(200);
    await ua.sendInDialog('ACK');
    await ua.sendInDialog('BYE');
    expect(statusOf((await ua.next()).text)).toBe(200);
    h.steer.request = undefined;
    ua.close();
  });
});

describe('passthru_prack = 1: PRACK end to end', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start({ passthru_prack: 1 });
  });
  afterAll(() => h.stop());

  it('client entity: no PRACK until ua_session_update(PRACK), which carries the RAck; its 200 is reported', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const { key, inv } = await clientStart(h, callee);
    await callee.reply(inv, 180, 'Ringing', { extra: ['Require: 100rel', 'RSeq: 3'] });
    expect(await callee.silent(300)).toBe(true);
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180']);
    await h.mi('ua_session_update', { key, method: 'PRACK' });
    const prack = (await callee.next()).text;
    expect([methodOf(prack), headerOf(prack, 'RAck')]).toEqual(['PRACK', '3 1 INVITE']);
    await callee.reply(prack, 200, 'OK');
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:180', 'ANSWERED:PRACK:200']);
    await expect(h.mi('ua_session_update', { key, method: 'PRACK' })).rejects.toThrow(
      `E_B2B_STATE: ua_session_update: entity "${key}" has no reliable provisional reply to PRACK`,
    );
    await h.mi('ua_session_terminate', { key });
    const cancel = (await callee.next()).text;
    expect(methodOf(cancel)).toBe('CANCEL');
    await callee.reply(cancel, 200, 'OK');
    await callee.reply(inv, 487, 'Request Terminated');
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    callee.close();
  });

  it('server entity: the PRACK goes to the owner (UPDATED) and is answered with ua_session_reply', async () => {
    const s = reliable183(h, '');
    const ua = await Ua.open(h.port);
    await ua.invite();
    const p1 = (await ua.next()).text;
    ua.learn(p1);
    await ua.sendInDialog('PRACK', { extra: ['RAck: 1 1 INVITE'] });
    await expect.poll(() => h.eventsOf(s.key())).toEqual(['NEW:INVITE', 'UPDATED:PRACK']);
    await h.mi('ua_session_reply', { key: s.key(), method: 'PRACK', code: 200, reason: 'OK' });
    expect(statusOf(await ua.nextWhere((t) => /CSeq: 2 PRACK/.test(t)))).toBe(200);
    await h.mi('ua_session_terminate', { key: s.key() });
    expect(statusOf(await ua.nextWhere((t) => statusOf(t) >= 200 && /INVITE/.test(headerOf(t, 'CSeq') ?? '')))).toBe(603);
    h.steer.request = undefined;
    ua.close();
  });
});

describe('glare', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start();
  });
  afterAll(() => h.stop());

  it('crossing re-INVITEs: theirs gets 491, ours is sent again after 0–2 s with a new CSeq when it got 491', async () => {
    h.steer.flags = 'r';
    const ua = await Ua.open(h.port);
    await ua.invite();
    const ok = (await ua.next()).text;
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    const key = ua.remoteTag;
    await h.mi('ua_session_update', { key, method: 'INVITE', body: SDP });
    const ours = (await ua.next()).text;
    expect(headerOf(ours, 'CSeq')).toBe('1 INVITE');
    await ua.sendInDialog('INVITE', { body: SDP });
    const theirs = await ua.nextWhere((t) => /CSeq: 2 INVITE/.test(t) && statusOf(t) > 0);
    expect(statusOf(theirs)).toBe(491);
    await ua.sendInDialog('ACK'); // ACK of the 491 (hop by hop in a real UA; absorbed either way)
    await ua.reply(ours, 491, 'Request Pending');
    expect(methodOf(await ua.nextWhere((t) => methodOf(t) === 'ACK'))).toBe('ACK');
    const t0 = Date.now();
    const again = await ua.nextWhere((t) => methodOf(t) === 'INVITE', 4000);
    expect(Date.now() - t0).toBeLessThan(2600);
    expect(headerOf(again, 'CSeq')).toBe('2 INVITE');
    await ua.reply(again, 200, 'OK', { body: SDP });
    expect(headerOf(await ua.nextWhere((t) => methodOf(t) === 'ACK'), 'CSeq')).toBe('2 ACK');
    // The owner sees the answer to the retry, never the 491.
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'ANSWERED:INVITE:200']);
    await h.mi('ua_session_terminate', { key });
    await ua.reply(await ua.nextWhere((t) => methodOf(t) === 'BYE'), 200, 'OK');
    ua.close();
  });
});
