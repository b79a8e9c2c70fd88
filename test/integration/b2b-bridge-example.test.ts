/** apps/server/examples/b2b-bridge.ts: a two-leg call through the typed b2b_entities API, raw UAs and sipp on both sides. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer } from '@core/sip';
import { freePort } from '@tsips/testkit';
import { b2bBridgeConfig } from '../../apps/server/examples/b2b-bridge.js';
import { SDP, Ua, bodyOf, headerOf, headersOf, methodOf, statusOf } from '../../packages/b2b-entities/test/helpers.js';
import { runSipp } from '../../packages/b2b-entities/test/sipp.js';

async function bridge(dest: string): Promise<SipServer> {
  const s = new SipServer({
    ...b2bBridgeConfig({ listen: 'udp:127.0.0.1:0', dest, log: { level: 'silent' } }),
    mi: false,
    modparams: { tm: { fr_timer: 2, fr_inv_timer: 5 } },
  });
  await s.start();
  return s;
}

describe('b2b-bridge with raw UAs', () => {
  let s: SipServer;
  let callee: Ua;
  beforeAll(async () => {
    callee = await Ua.open(0, 'bob');
    s = await bridge(`sip:bob@127.0.0.1:${callee.port}`);
    (callee as unknown as { serverPort: number }).serverPort = s.sockets[0]!.port;
  });
  afterAll(async () => {
    callee.close();
    await s.stop();
  });

  it('hides the caller (new Call-ID, Via, Contact), relays 180/200 with SDP, ACK, re-INVITEs both ways, BYE from the callee', async () => {
    const port = s.sockets[0]!.port;
    const caller = await Ua.open(port, 'alice');
    await caller.invite(`sip:bob@127.0.0.1:${port}`, SDP, ['X-Secret: caller-only']);
    const inv = (await callee.next()).text;
    callee.learnInvite(inv);
    expect(headerOf(inv, 'Call-ID')).not.toBe(caller.callId);
    expect(headerOf(inv, 'Call-ID')).toMatch(/^B2B\./);
    expect(headersOf(inv, 'Via')).toHaveLength(1);
    expect(headerOf(inv, 'Via')).toContain(`127.0.0.1:${port}`);
    expect(headerOf(inv, 'Contact')).toBe(`<sip:127.0.0.1:${port}>`);
    expect(headerOf(inv, 'X-Secret')).toBeUndefined();
    expect(bodyOf(inv)).toBe(SDP);
    await callee.reply(inv, 180, 'Ringing');
    expect(statusOf((await caller.next()).text)).toBe(180);
    await callee.reply(inv, 200, 'OK', { body: SDP.replace('4000', '6000') });
    const ok = (await caller.next()).text;
    expect(statusOf(ok)).toBe(200);
    expect(bodyOf(ok)).toContain('m=audio 6000');
    expect(headerOf(ok, 'Contact')).toBe(`<sip:127.0.0.1:${port}>`);
    caller.learn(ok);
    // The callee's ACK waits for the caller's (end to end).
    expect(await callee.silent(200)).toBe(true);
    await caller.sendInDialog('ACK');
    expect(methodOf((await callee.next()).text)).toBe('ACK');
    expect(await s.mi.call('b2b_bridge_calls', {})).toEqual({ calls: 1 });
    // re-INVITE from the caller.
    await caller.sendInDialog('INVITE', { body: SDP });
    const re1 = (await callee.next()).text;
    expect([methodOf(re1), headerOf(re1, 'CSeq')]).toEqual(['INVITE', '2 INVITE']);
    await callee.reply(re1, 200, 'OK', { body: SDP });
    expect(statusOf((await caller.next()).text)).toBe(200);
    await caller.sendInDialog('ACK');
    expect(headerOf((await callee.next()).text, 'CSeq')).toBe('2 ACK');
    // re-INVITE from the callee, without SDP: the offer comes in the caller's 2xx, the answer in the callee's ACK.
    callee.cseq = 10;
    await callee.sendInDialog('INVITE');
    const re2 = (await caller.next()).text;
    // Our CSeq towards the caller is our own (RFC 3261 12.2.1.1): the first request we send on that leg.
    expect([methodOf(re2), headerOf(re2, 'CSeq'), bodyOf(re2)]).toEqual(['INVITE', '1 INVITE', '']);
    await caller.reply(re2, 200, 'OK', { body: SDP });
    const ok2 = (await callee.next()).text;
    expect([statusOf(ok2), bodyOf(ok2)]).toEqual([200, SDP]);
    await callee.sendInDialog('ACK', { body: SDP.replace('4000', '7000') });
    const ack2 = (await caller.next()).text;
    expect([methodOf(ack2), bodyOf(ack2)]).toEqual(['ACK', SDP.replace('4000', '7000')]);
    // The callee hangs up.
    await callee.sendInDialog('BYE');
    expect(statusOf((await callee.next()).text)).toBe(200);
    const bye = (await caller.next()).text;
    expect(methodOf(bye)).toBe('BYE');
    await caller.reply(bye, 200, 'OK');
    await expect.poll(() => s.mi.call('b2b_bridge_calls', {})).toEqual({ calls: 0 });
    await expect.poll(() => s.mi.call('b2be_list', {})).toEqual([]);
    caller.close();
  });

  it('a CANCEL from the caller cancels the B leg; a busy callee is relayed and both entities go', async () => {
    const port = s.sockets[0]!.port;
    const caller = await Ua.open(port, 'alice');
    const cinv = await caller.invite(`sip:bob@127.0.0.1:${port}`);
    const inv = (await callee.next()).text;
    await callee.reply(inv, 180, 'Ringing');
    expect(statusOf((await caller.next()).text)).toBe(180);
    const branch = /branch=([^;\r]+)/.exec(cinv)![1]!;
    await caller.send(caller.request('CANCEL', { ruri: `sip:bob@127.0.0.1:${port}`, initial: true, cseq: 1, branch }));
    const cancel = await callee.nextWhere((t) => methodOf(t) === 'CANCEL');
    await callee.reply(cancel, 200, 'OK');
    await callee.reply(inv, 487, 'Request Terminated');
    const got = [(await caller.next()).text, (await caller.next()).text].map((t) => `${statusOf(t)} ${headerOf(t, 'CSeq')}`).sort();
    expect(got).toEqual(['200 1 CANCEL', '487 1 INVITE']);
    await expect.poll(() => s.mi.call('b2be_list', {})).toEqual([]);

    await caller.invite(`sip:bob@127.0.0.1:${port}`);
    const inv2 = await callee.nextWhere((t) => methodOf(t) === 'INVITE');
    await callee.reply(inv2, 486, 'Busy Here');
    expect(statusOf(await caller.nextWhere((t) => statusOf(t) >= 200))).toBe(486);
    await expect.poll(() => s.mi.call('b2be_list', {})).toEqual([]);
    expect(await s.mi.call('b2b_bridge_calls', {})).toEqual({ calls: 0 });
    caller.close();
  });
});

describe('b2b-bridge with sipp on both sides', () => {
  it('bridges 40 calls from a sipp UAC to a sipp UAS', async () => {
    const uasPort = await freePort();
    const s = await bridge(`sip:service@127.0.0.1:${uasPort}`);
    try {
      const calls = 40;
      const uas = runSipp(['-sn', 'uas', '-p', String(uasPort), '-m', String(calls)]);
      await new Promise((r) => setTimeout(r, 400)); // sipp binds its port at once; give it the start-up moment
      const uac = await runSipp(['-sn', 'uac', '-m', String(calls), '-r', '20', '-d', '200', `127.0.0.1:${s.sockets[0]!.port}`]);
      expect({ code: uac.code, ok: uac.ok, failed: uac.failed }, uac.out).toEqual({ code: 0, ok: calls, failed: 0 });
      const u = await uas;
      expect({ code: u.code, ok: u.ok, failed: u.failed }, u.out).toEqual({ code: 0, ok: calls, failed: 0 });
      await expect.poll(() => s.mi.call('b2be_list', {})).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
