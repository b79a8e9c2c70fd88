/**
 * A 2xx that tm generates for an INVITE (t_reply(200), MI t_reply, a B2BUA's UAS) is retransmitted over UDP
 * on T1, 2·T1 … T2 until its ACK arrives, or for 64·T1 (RFC 3261 13.3.1.4); a retransmitted INVITE gets
 * it again. A relayed 2xx is the UAS's to retransmit and is not resent by tm.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UdpPeer, request, headerOf, statusOf, nextMatching, replyTo, type Received } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

const open: { stop(): Promise<void> | void }[] = [];
afterAll(async () => {
  for (const o of open) await o.stop();
});

async function uasProxy(modparams: Record<string, unknown>): Promise<{ p: Proxy; uac: UdpPeer }> {
  const p = await startProxy(modparams);
  const uac = await UdpPeer.open();
  open.push(p, { stop: () => uac.close() });
  p.routes.request = (ctx) => {
    if (ctx.is_method('ACK')) return;
    ctx.t_reply(200, 'OK');
  };
  return { p, uac };
}

const ok = (callId: string) => (t: string) => statusOf(t) === 200 && headerOf(t, 'Call-ID') === callId;

function ackFor(inv: string): string {
  const tag = /tag=a\d+/.exec(inv)![0];
  return request('ACK', 'sip:bob@127.0.0.1', 0, { callId: headerOf(inv, 'Call-ID'), toTag: 'x' }).replace(/tag=a\d+/, tag);
}

describe('local 2xx to an INVITE over UDP', () => {
  it('is retransmitted at T1, 2*T1 … T2 until the ACK, then stops and the transaction is freed', async () => {
    const { p, uac } = await uasProxy({ T1_timer: 50, T2_timer: 200, wt_timer: 0.1 });
    const inv = request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'l2xx-1' });
    await uac.send(inv, p.port);
    const copies: Received[] = [];
    for (let i = 0; i < 4; i++) copies.push(await nextMatching(uac, ok('l2xx-1'), 2000));
    for (const c of copies) expect(c.text).toBe(copies[0]!.text);
    await uac.send(ackFor(inv), p.port);
    // Freed once the ACK stopped the retransmissions (the wait phase starts only then); without the ACK it
    // would retransmit for 64*T1 = 3.2 s.
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000, interval: 20 }).toBe(0);
    // Only copies already on their way when the ACK arrived (intervals are 200 ms by now); none after.
    let late = 0;
    while (!(await uac.silent(300))) late++;
    expect(late).toBeLessThanOrEqual(2);
  });

  it('is sent again for a retransmitted INVITE', async () => {
    // T1 long enough that no timer-driven copy can come before the answer to the retransmission.
    const { p, uac } = await uasProxy({ T1_timer: 3000, T2_timer: 4000 });
    const inv = request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'l2xx-2', branch: 'z9hG4bKl2xx2' });
    await uac.send(inv, p.port);
    const first = await nextMatching(uac, ok('l2xx-2'));
    await uac.send(inv, p.port);
    const again = await nextMatching(uac, ok('l2xx-2'), 1500);
    expect(again.text).toBe(first.text);
    await uac.send(ackFor(inv), p.port);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 10_000, interval: 50 }).toBe(0);
  });

  it('stops after 64*T1 without an ACK and the transaction is freed', async () => {
    const { p, uac } = await uasProxy({ T1_timer: 10, T2_timer: 40, wt_timer: 0.1 });
    await uac.send(request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'l2xx-3' }), p.port);
    let copies = 0;
    // 64*T1 = 640 ms of intervals 10, 20, 40, 40 … : about 18 copies, then nothing more.
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000, interval: 20 }).toBe(0);
    while (!(await uac.silent(200))) copies++;
    expect(copies).toBeGreaterThanOrEqual(10);
    expect(copies).toBeLessThanOrEqual(25);
  });

  it('a relayed 2xx is not retransmitted by tm', async () => {
    const p = await startProxy({ T1_timer: 30, T2_timer: 60 });
    const [uac, uas] = [await UdpPeer.open(), await UdpPeer.open()];
    open.push(p, { stop: () => (uac.close(), uas.close()) });
    p.routes.request = (ctx) => (ctx.is_method('ACK') ? undefined : ctx.t_relay());
    await uac.send(request('INVITE', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId: 'l2xx-4' }), p.port);
    const got = await uas.next();
    await uas.send(replyTo(got.text, 200, 'OK', { toTag: 'r' }), p.port);
    await nextMatching(uac, ok('l2xx-4'));
    let copies = 0;
    while (!(await uac.silent(400))) copies++; // ten T1 periods: a local-2xx timer would have fired 4+ times
    expect(copies).toBe(0);
  });
});
