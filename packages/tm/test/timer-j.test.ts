/**
 * Timer J (RFC 3261 17.2.2): a non-INVITE request retransmitted after its transaction was freed
 * (wt_timer) but within 64·T1 of the final reply gets that reply again and is not relayed anew; after
 * 64·T1 it is a new request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpPeer, request, statusOf, replyTo, headerOf, nextMatching, finalOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

let p: Proxy;
let uac: UdpPeer;
let uas: UdpPeer;
beforeAll(async () => {
  // 64·T1 = 1.6 s; the transaction itself is freed 0.1 s after its final reply.
  p = await startProxy({ T1_timer: 25, T2_timer: 100, wt_timer: 0.1 });
  [uac, uas] = [await UdpPeer.open(), await UdpPeer.open()];
});
afterAll(async () => {
  uac.close();
  uas.close();
  await p.stop();
});

describe('timer J', () => {
  it('a late BYE retransmission gets the 200 again, then after 64*T1 is relayed as a new request', async () => {
    p.routes.request = (ctx) => {
      if (ctx.$ci.startsWith('marker')) return ctx.sl_send_reply(299, 'Marker');
      return ctx.t_relay();
    };
    const bye = request('BYE', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'timer-j', branch: 'z9hG4bKtimerj', toTag: 'b' });
    await uac.send(bye, p.port);
    const got = await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'timer-j');
    await uas.send(replyTo(got.text, 200, 'OK'), p.port);
    const ok = await finalOf(uac, 'timer-j');
    const t0 = Date.now();
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000, interval: 10 }).toBe(0);
    // Freed, yet within 64*T1: answered from the cache, nothing goes to the UAS.
    await uac.send(bye, p.port);
    expect((await finalOf(uac, 'timer-j')).text).toBe(ok.text);
    await uac.send(request('OPTIONS', 'sip:x@127.0.0.1', uac.port, { callId: 'marker-j' }), p.port);
    await finalOf(uac, 'marker-j');
    expect(uas.queued).toBe(0);
    // Past 64*T1 the same bytes are a new transaction, relayed to the UAS.
    let relayedAt = 0;
    await expect
      .poll(
        async () => {
          await uac.send(bye, p.port);
          const r = await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'timer-j', 150).catch(() => undefined);
          if (r !== undefined && relayedAt === 0) relayedAt = Date.now();
          return r !== undefined;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBe(true);
    expect(relayedAt - t0).toBeGreaterThanOrEqual(1300);
    expect(statusOf(ok.text)).toBe(200);
  });
});
