/**
 * A request whose replies cannot be sent at all (top Via `127.0.0.1:0`, no rport: Node refuses port 0 by
 * throwing, not through a callback). The 100 Trying is lost like any refused datagram, and the transaction
 * goes on: relayed, ACKed, freed. When the send threw, t_relay died before forwarding and the transaction,
 * never relayed nor guarded, stayed in memory for good (found by test/e2e/attack.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpPeer, request, replyTo, methodOf, nextMatching } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

let p: Proxy;
let uac: UdpPeer;
let uas: UdpPeer;

beforeAll(async () => {
  // Short T1, so timer H (64×T1) frees the completed transaction within the test.
  p = await startProxy({ T1_timer: 10, wt_timer: 1 });
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  await p.stop();
});

describe('replies upstream to a Via port 0', () => {
  it('are lost without unwinding t_relay: the INVITE is relayed, the 486 ACKed and the transaction freed', async () => {
    let rc: number | undefined;
    p.routes.request = async (ctx) => {
      rc = await ctx.t_relay();
    };
    const inv = request('INVITE', `sip:bob@127.0.0.1:${uas.port}`, 0, { callId: 'port-zero' }).replace(';rport', '');
    expect(inv).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:0;branch=z9hG4bK\w+\r$/m);
    await uac.send(inv, p.port);
    const got = await nextMatching(uas, (t) => methodOf(t) === 'INVITE');
    expect(rc).toBe(1);
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'z1' }), p.port);
    await nextMatching(uas, (t) => methodOf(t) === 'ACK');
    // Timer G retransmits the 486 to port 0 (lost again) until timer H frees the transaction.
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000 }).toBe(0);
  });
});
