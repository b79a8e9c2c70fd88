/**
 * Re-INVITE pinging (create_dialog "R" / "r", reinvite_ping_interval; issue 12, item 4): each side gets an
 * in-dialog re-INVITE carrying the other side's session description, its 2xx is ACKed, and a 481 ends the
 * dialog with BYEs ('ReINVITE Ping Timeout').
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Proxy, call } from './proxy.js';
import { Ua, cseqOf, headerOf, methodOf, replyTo, statusOf, tagOf } from './sip-ua.js';
import type { Dlg } from '../src/index.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { reinvite_ping_interval: 0.3 } });
});
afterAll(async () => {
  await p.stop();
});

const sdp = (who: string, port: number) => `v=0\r\no=${who} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\n`;
const SDP_A = sdp('alice', 4000);
const SDP_B = sdp('bob', 5000);

function withSdp(text: string, body: string): string {
  return text.replace('Content-Length: 0\r\n\r\n', `Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

/** Answers one re-INVITE ping with `code` (a 2xx with `body`), and takes the ACK of a 2xx. */
async function answerPing(ua: Ua, code: number, body: string): Promise<string> {
  const inv = (await ua.nextNon100(3000)).text;
  expect(methodOf(inv)).toBe('INVITE');
  const rpl = replyTo(inv, code, code === 200 ? 'OK' : 'Call/Transaction Does Not Exist', { toTag: ua.localTag, contact: ua.contact });
  await ua.send(code === 200 ? withSdp(rpl, body) : rpl);
  if (code === 200) {
    const ack = (await ua.nextNon100(3000)).text;
    expect(methodOf(ack)).toBe('ACK');
    expect(cseqOf(ack)).toBe(cseqOf(inv));
  }
  return inv;
}

/** Answers pings with 200 (ACKs and retransmissions ignored) until a BYE comes, which it answers. */
async function untilBye(ua: Ua, body: string): Promise<string> {
  for (;;) {
    const r = (await ua.nextNon100(3000)).text;
    const m = methodOf(r);
    if (m === 'BYE') {
      await ua.reply(r, 200, 'OK');
      return r;
    }
    if (m === 'INVITE') await ua.send(withSdp(replyTo(r, 200, 'OK', { toTag: ua.localTag, contact: ua.contact }), body));
  }
}

describe('re-INVITE pings', () => {
  it("R/r: each side is re-INVITEd with the other side's SDP and ACKed; a 481 ends the dialog with BYEs", async () => {
    let d: Dlg | undefined;
    p.hooks = { flags: 'Rr', recordRoute: true, initial: (ctx) => void (d = p.api.getDlg(ctx)) };
    const caller = await Ua.open(p.port, 'alice');
    const callee = await Ua.open(p.port, 'bob');
    p.calleePort = callee.port;
    caller.callId = `reinvite-ping-${Date.now()}@test`;
    caller.remoteUri = 'sip:bob@127.0.0.1';
    caller.cseq = 1;
    await caller.send(withSdp(caller.request('INVITE', 'sip:bob@127.0.0.1', [], true), SDP_A));
    const inv = (await callee.nextNon100()).text;
    callee.learnFromInvite(inv);
    await callee.send(withSdp(replyTo(inv, 200, 'OK', { toTag: callee.localTag, contact: callee.contact }), SDP_B));
    const ok = (await caller.nextNon100()).text;
    expect(statusOf(ok)).toBe(200);
    caller.learnFromAnswer(ok);
    await caller.sendInDialog('ACK');
    expect(methodOf((await callee.next()).text)).toBe('ACK');

    // First round: both answer 200.
    const [toCallee, toCaller] = await Promise.all([answerPing(callee, 200, SDP_B), answerPing(caller, 200, SDP_A)]);
    expect(bodyOf(toCallee)).toBe(SDP_A);
    expect(headerOf(toCallee, 'Content-Type')).toBe('application/sdp');
    expect(tagOf(headerOf(toCallee, 'From'))).toBe(caller.localTag);
    expect(tagOf(headerOf(toCallee, 'To'))).toBe(callee.localTag);
    expect(headerOf(toCallee, 'Contact')).toMatch(/^<sip:127\.0\.0\.1:\d+>$/);
    expect(bodyOf(toCaller)).toBe(SDP_B);
    expect(tagOf(headerOf(toCaller, 'From'))).toBe(callee.localTag);
    expect(cseqOf(toCallee)).toBeGreaterThan(1);
    expect(d!.alive).toBe(true);

    // Then the callee has lost the call: 481, and the dialog ends from the middle.
    const byes = Promise.all([
      untilBye(caller, SDP_A),
      (async () => {
        await answerPing(callee, 481, '');
        return untilBye(callee, SDP_B);
      })(),
    ]);
    const [byeCaller, byeCallee] = await byes;
    expect(methodOf(byeCaller)).toBe('BYE');
    expect(methodOf(byeCallee)).toBe('BYE');
    await expect.poll(() => d!.alive).toBe(false);
    expect(d!.termReason).toBe('ReINVITE Ping Timeout');
    caller.close();
    callee.close();
  });

  for (const [flags, why] of [
    ['B', 'no R/r'],
    ['Rr', 'R/r on a call set up without SDP (nothing to offer back)'],
  ] as const) {
    it(`${why}: no re-INVITE is sent`, async () => {
      p.hooks = { flags, recordRoute: true };
      const c = await call(p);
      expect(await c.callee.silent(900)).toBe(true);
      expect(await c.caller.silent(100)).toBe(true);
      c.caller.close();
      c.callee.close();
    });
  }
});
