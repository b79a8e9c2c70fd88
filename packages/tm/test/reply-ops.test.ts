/**
 * TmApi.setReplyOps: header ops on every reply tm relays for a transaction (provisional, 2xx, the best
 * final, 2xx retransmissions after the answer), after onreply_route's ops; never on tm's own replies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TmApi } from '../src/index.js';
import { type UdpPeer, request, statusOf, replyTo, headerOf, headersOf } from '@tsips/testkit';
import { proxyWithPeers, type Proxy } from './support/proxy.js';

const env = proxyWithPeers(2);
let p: Proxy;
let api: TmApi;
let uac: UdpPeer;
let uas: UdpPeer;
beforeAll(
  () =>
    void ({
      p,
      api,
      peers: [uac, uas],
    } = env as { p: Proxy; api: TmApi; peers: [UdpPeer, UdpPeer] }),
);

const uasUri = () => `sip:bob@127.0.0.1:${uas.port}`;

describe('setReplyOps', () => {
  it('applies to the 1xx, the 2xx and a 2xx retransmission relayed after the answer, after onreply_route; not to the 100 Trying', async () => {
    p.routes.onreply.r = (ctx) => {
      ctx.append_hf('X-Route: seen\r\n');
      ctx.remove_hf('CSeq'); // overridden by the reply ops, which come after
      ctx.append_hf('CSeq: 99 INVITE\r\n');
    };
    p.routes.request = (ctx) => {
      api.newTransaction(ctx);
      api.setReplyOps(api.getTransaction(ctx)!, [
        { kind: 'replace', name: 'CSeq', value: '1 INVITE' },
        { kind: 'add', name: 'X-Ops', value: 'yes', where: 'bottom' },
      ]);
      ctx.t_on_reply('r');
      return ctx.t_relay();
    };
    const inv = request('INVITE', uasUri(), uac.port, { callId: 'ops-1' }).replace('CSeq: 1 INVITE', 'CSeq: 5 INVITE');
    await uac.send(inv, p.port);
    const trying = await uac.next();
    expect(statusOf(trying.text)).toBe(100);
    expect(headerOf(trying.text, 'CSeq')).toBe('5 INVITE'); // tm's own reply: untouched
    expect(headerOf(trying.text, 'X-Ops')).toBe(undefined);
    const down = await uas.next();
    expect(headerOf(down.text, 'CSeq')).toBe('5 INVITE');

    await uas.send(replyTo(down.text, 180, 'Ringing', { toTag: 'u' }), p.port);
    const ringing = await uac.next();
    expect(statusOf(ringing.text)).toBe(180);
    expect(headersOf(ringing.text, 'CSeq')).toEqual(['1 INVITE']);
    expect(headerOf(ringing.text, 'X-Ops')).toBe('yes');
    expect(headerOf(ringing.text, 'X-Route')).toBe('seen');

    const ok = replyTo(down.text, 200, 'OK', { toTag: 'u' });
    await uas.send(ok, p.port);
    const okUp = await uac.next();
    expect([statusOf(okUp.text), headersOf(okUp.text, 'CSeq'), headerOf(okUp.text, 'X-Ops')]).toEqual([200, ['1 INVITE'], 'yes']);

    // The UAS retransmits its 2xx: relayed statelessly (RFC 6026), with the ops still.
    await uas.send(ok, p.port);
    const again = await uac.next();
    expect([statusOf(again.text), headersOf(again.text, 'CSeq'), headerOf(again.text, 'X-Ops')]).toEqual([200, ['1 INVITE'], 'yes']);
  });

  it('applies to the best final reply of a failed transaction; an empty list clears them', async () => {
    p.routes.request = (ctx) => {
      api.newTransaction(ctx);
      const t = api.getTransaction(ctx)!;
      api.setReplyOps(t, [{ kind: 'replace', name: 'CSeq', value: '3 OPTIONS' }]);
      if (ctx.$ci === 'ops-cleared') api.setReplyOps(t, []);
      return ctx.t_relay();
    };
    await uac.send(request('OPTIONS', uasUri(), uac.port, { callId: 'ops-2' }).replace('CSeq: 1 OPTIONS', 'CSeq: 9 OPTIONS'), p.port);
    const a = await uas.next();
    await uas.send(replyTo(a.text, 486, 'Busy Here', { toTag: 'b' }), p.port);
    const busy = await uac.next();
    expect([statusOf(busy.text), headerOf(busy.text, 'CSeq')]).toEqual([486, '3 OPTIONS']);

    await uac.send(request('OPTIONS', uasUri(), uac.port, { callId: 'ops-cleared' }).replace('CSeq: 1 OPTIONS', 'CSeq: 9 OPTIONS'), p.port);
    const b = await uas.next();
    await uas.send(replyTo(b.text, 486, 'Busy Here', { toTag: 'b' }), p.port);
    const busy2 = await uac.next();
    expect([statusOf(busy2.text), headerOf(busy2.text, 'CSeq')]).toEqual([486, '9 OPTIONS']);
  });
});
