import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, freePort, request, headerOf, headersOf, statusOf, replyTo, methodOf, nextMatching } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';
import { expectNothingBeforeMarker } from './support/barrier.js';

let p: Proxy;
let uac: UdpPeer;
let uas: UdpPeer;
let uas2: UdpPeer;

beforeAll(async () => {
  p = await startProxy();
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
  uas2 = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  uas2.close();
  await p.stop();
});
beforeEach(async () => {
  p.routes.request = () => undefined;
  // Drain what earlier tests left behind (retransmissions of finished transactions).
  for (const peer of [uac, uas, uas2]) while (!(await peer.silent(20)));
});

const to = (peer: UdpPeer) => `sip:bob@127.0.0.1:${peer.port}`;

describe('stateful relay of an INVITE', () => {
  it('sends 100 Trying, relays 180 and 200 upstream with our Via popped, and frees the transaction', async () => {
    p.routes.request = async (ctx) => {
      ctx.record_route();
      await ctx.t_relay();
    };
    const before = p.stat('UAS_transactions');
    await uac.send(request('INVITE', to(uas), uac.port, { callId: 'inv-basic' }), p.port);
    const trying = await uac.next();
    expect(statusOf(trying.text)).toBe(100);
    const inv = await uas.next();
    expect(methodOf(inv.text)).toBe('INVITE');
    expect(headersOf(inv.text, 'Via')).toHaveLength(2);
    expect(headerOf(inv.text, 'Via')).toMatch(/branch=z9hG4bK/);
    expect(headerOf(inv.text, 'Record-Route')).toContain(`127.0.0.1:${p.port}`);
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'uas1' }), p.port);
    const ringing = await uac.next();
    expect(statusOf(ringing.text)).toBe(180);
    expect(headersOf(ringing.text, 'Via')).toHaveLength(1);
    await uas.send(replyTo(inv.text, 200, 'OK', { toTag: 'uas1' }), p.port);
    const ok = await uac.next();
    expect(statusOf(ok.text)).toBe(200);
    expect(p.stat('UAS_transactions')).toBe(before + 1);
    expect(p.stat('2xx_transactions')).toBeGreaterThan(0);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000 }).toBe(0);
  });

  it('absorbs a retransmitted INVITE (the last provisional is resent, the UAS sees one copy)', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    const inv = request('INVITE', to(uas), uac.port, { branch: 'z9hG4bKretrans1' });
    await uac.send(inv, p.port);
    expect(statusOf((await uac.next()).text)).toBe(100);
    const got = await uas.next();
    await uac.send(inv, p.port);
    expect(statusOf((await uac.next()).text)).toBe(100);
    // Only retransmissions of our own copy (timer A) may reach the UAS, never a second transaction's copy.
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'b1' }), p.port);
    const busy = await nextMatching(uac, (t) => statusOf(t) === 486);
    expect(statusOf(busy.text)).toBe(486);
    const ack = await nextMatching(uas, (t) => methodOf(t) === 'ACK');
    expect(headerOf(ack.text, 'Via')).toBe(headerOf(got.text, 'Via'));
    expect(headerOf(ack.text, 'To')).toContain('tag=b1');
    // The ACK for the 486 from upstream is absorbed hop by hop.
    let routed = 0;
    p.routes.request = async (ctx) => {
      routed++;
      if (ctx.t_check_trans() > 0) await ctx.t_relay();
    };
    await uac.send(request('ACK', to(uas), uac.port, { branch: 'z9hG4bKretrans1', toTag: 'b1', callId: /Call-ID: (.*)/.exec(inv)![1] }), p.port);
    await expect.poll(() => routed).toBe(1);
    await expectNothingBeforeMarker(p, uas, /Call-ID: (.*)/.exec(inv)![1]);
    expect(routed).toBe(1);
  });

  it('retransmits over UDP until a provisional reply (timer A)', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', to(uas), uac.port), p.port);
    const a = await uas.next();
    const b = await uas.next(400);
    expect(b.text).toBe(a.text);
    await uas.send(replyTo(a.text, 180, 'Ringing', { toTag: 'x' }), p.port);
    await uas.send(replyTo(a.text, 603, 'Decline', { toTag: 'x' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => statusOf(t) === 603)).text)).toBe(603);
  });

  it('answers 408 after fr_timer when the downstream never answers, and runs failure_route', async () => {
    let failed = 0;
    let code = -1;
    p.routes.failure.timeout = (ctx) => {
      failed++;
      code = ctx.T_reply_code();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_failure('timeout');
      await ctx.t_relay('0x1');
    };
    const port = await freePort(); // a dead UDP destination
    const t0 = Date.now();
    await uac.send(request('OPTIONS', `sip:x@127.0.0.1:${port}`, uac.port), p.port);
    const r = await nextMatching(uac, (t) => /CSeq: 1 OPTIONS/.test(t), 3000);
    expect(statusOf(r.text)).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(failed).toBe(1);
    expect(code).toBe(408);
  });

  it('answers CANCEL 200, cancels the branch after its provisional, and the INVITE gets 487', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    const inv = request('INVITE', to(uas), uac.port, { branch: 'z9hG4bKcancel1', callId: 'cancel-1' });
    await uac.send(inv, p.port);
    await uac.next();
    const got = await uas.next();
    await uas.send(replyTo(got.text, 180, 'Ringing', { toTag: 'c1' }), p.port);
    expect(statusOf((await uac.next()).text)).toBe(180);
    await uac.send(request('CANCEL', to(uas), uac.port, { branch: 'z9hG4bKcancel1', callId: 'cancel-1' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => /CSeq: 1 CANCEL/.test(t))).text)).toBe(200);
    const cancel = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    expect(headerOf(cancel.text, 'Via')).toBe(headerOf(got.text, 'Via'));
    expect(cancel.text.split('\r\n')[0]).toBe(got.text.split('\r\n')[0]!.replace('INVITE', 'CANCEL'));
    await uas.send(replyTo(cancel.text, 200, 'OK', { toTag: 'c1' }), p.port);
    await uas.send(replyTo(got.text, 487, 'Request Terminated', { toTag: 'c1' }), p.port);
    const term = await nextMatching(uac, (t) => /CSeq: 1 INVITE/.test(t) && statusOf(t) >= 200);
    expect(statusOf(term.text)).toBe(487);
  });

  it('relays a 200 that crosses the CANCEL, and the call goes on', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', to(uas), uac.port, { branch: 'z9hG4bKcross', callId: 'cross-1' }), p.port);
    await uac.next();
    const got = await uas.next();
    await uas.send(replyTo(got.text, 180, 'Ringing', { toTag: 'x1' }), p.port);
    await uac.next();
    await uac.send(request('CANCEL', to(uas), uac.port, { branch: 'z9hG4bKcross', callId: 'cross-1' }), p.port);
    const cancel = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    // The UAS answered before it saw the CANCEL.
    await uas.send(replyTo(got.text, 200, 'OK', { toTag: 'x1' }), p.port);
    await uas.send(replyTo(cancel.text, 481, 'Call/Transaction Does Not Exist', { toTag: 'x1' }), p.port);
    const ok = await nextMatching(uac, (t) => /CSeq: 1 INVITE/.test(t) && statusOf(t) >= 200);
    expect(statusOf(ok.text)).toBe(200);
  });
});

describe('forking', () => {
  it('forks in parallel and relays the best negative reply (4xx over 5xx), with both challenges for 407', async () => {
    p.routes.request = async (ctx) => {
      ctx.append_branch(`sip:bob@127.0.0.1:${uas2.port}`);
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', to(uas), uac.port), p.port);
    await uac.next();
    const a = await uas.next();
    const b = await uas2.next();
    await uas.send(replyTo(a.text, 407, 'Proxy Authentication Required', { toTag: 'a', headers: ['Proxy-Authenticate: Digest realm="a"'] }), p.port);
    await uas2.send(replyTo(b.text, 503, 'Service Unavailable', { toTag: 'b' }), p.port);
    const r = await nextMatching(uac, (t) => statusOf(t) >= 200);
    expect(statusOf(r.text)).toBe(407);
    expect(headersOf(r.text, 'Proxy-Authenticate')).toEqual(['Digest realm="a"']);
  });

  it('relays every 2xx and cancels the other branches', async () => {
    p.routes.request = async (ctx) => {
      ctx.append_branch(`sip:bob@127.0.0.1:${uas2.port}`);
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', to(uas), uac.port, { callId: 'fork-2xx' }), p.port);
    const ours = (t: string) => headerOf(t, 'Call-ID') === 'fork-2xx'; // skips earlier tests' retransmissions
    const a = await nextMatching(uas, ours);
    const b = await nextMatching(uas2, ours);
    await uas2.send(replyTo(b.text, 180, 'Ringing', { toTag: 'b' }), p.port);
    await uas.send(replyTo(a.text, 200, 'OK', { toTag: 'a' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => ours(t) && statusOf(t) >= 200)).text)).toBe(200);
    const cancel = await nextMatching(uas2, (t) => ours(t) && methodOf(t) === 'CANCEL');
    await uas2.send(replyTo(cancel.text, 200, 'OK', { toTag: 'b' }), p.port);
    await uas2.send(replyTo(b.text, 487, 'Request Terminated', { toTag: 'b' }), p.port);
    expect(methodOf((await nextMatching(uas2, (t) => ours(t) && methodOf(t) === 'ACK')).text)).toBe('ACK');
    // The 487 of a cancelled fork is not relayed: nothing more of this call before the marker's answer.
    await expectNothingBeforeMarker(p, uac, 'fork-2xx');
  });

  it('forks serially from failure_route (t_relay again on the same transaction)', async () => {
    p.routes.failure.next = async (ctx) => {
      if (ctx.t_check_status('486') > 0) {
        ctx.$ru = `sip:voicemail@127.0.0.1:${uas2.port}`;
        await ctx.t_relay();
      }
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_failure('next');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', to(uas), uac.port, { callId: 'fork-serial' }), p.port);
    const ours = (t: string) => headerOf(t, 'Call-ID') === 'fork-serial'; // skips earlier tests' retransmissions
    const a = await nextMatching(uas, ours);
    await uas.send(replyTo(a.text, 486, 'Busy Here', { toTag: 'a' }), p.port);
    const b = await nextMatching(uas2, (t) => ours(t) && methodOf(t) === 'INVITE');
    expect(b.text.startsWith(`INVITE sip:voicemail@127.0.0.1:${uas2.port} SIP/2.0`)).toBe(true);
    await uas2.send(replyTo(b.text, 200, 'OK', { toTag: 'vm' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => ours(t) && statusOf(t) >= 200)).text)).toBe(200);
  });
});

describe('replies that match no transaction', () => {
  it('fall through to the stateless relay', async () => {
    // A reply with our Via on top but an unknown branch, and the UAC's Via below it.
    const reply = [
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bKunknown`,
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKorig`,
      'From: <sip:a@x>;tag=1',
      'To: <sip:b@x>;tag=2',
      'Call-ID: stray',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await uas.send(reply, p.port);
    const r = await uac.next();
    expect(headersOf(r.text, 'Via')).toHaveLength(1);
  });
});
