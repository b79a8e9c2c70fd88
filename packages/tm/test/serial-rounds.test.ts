/**
 * Serial forking from failure_route: the branches it creates are a new round (OpenSIPS `t->first_branch`);
 * only their replies compete for the outcome, the picked branch and the challenges relayed upstream.
 * getBranchReply(t, idx) gives the final reply a branch received.
 */
import { describe, expect, it } from 'vitest';
import type { SipMessage } from '@core/sip';
import { type UdpPeer, request, headerOf, headersOf, statusOf, replyTo, finalOf } from '@tsips/testkit';
import { proxyWithPeers } from './support/proxy.js';

const env = proxyWithPeers(3);
const uri = (peer: UdpPeer): string => `sip:bob@127.0.0.1:${peer.port}`;

describe('failure_route rounds', () => {
  it('a 401 of round 1 does not win over the 404 of round 2; getBranchReply sees each round’s reply', async () => {
    const [uac, a, b] = env.peers as [UdpPeer, UdpPeer, UdpPeer];
    const seen: { picked: number; status: number | undefined; code: string | undefined }[] = [];
    env.p.routes.request = async (ctx) => {
      ctx.t_on_failure('next');
      await ctx.t_relay();
    };
    env.p.routes.failure.next = async (ctx) => {
      const t = env.api.getTransaction(ctx)!;
      const picked = env.api.getPickedBranch(t);
      const reply: SipMessage | undefined = env.api.getBranchReply(t, picked);
      seen.push({ picked, status: reply?.status, code: reply?.header('WWW-Authenticate') });
      if (seen.length === 1) {
        ctx.$ru = uri(b);
        ctx.t_on_failure('next');
        await ctx.t_relay();
      }
    };
    await uac.send(request('MESSAGE', uri(a), uac.port, { callId: 'rounds-1' }), env.p.port);
    const first = await a.next();
    await a.send(replyTo(first.text, 401, 'Unauthorized', { toTag: 'a', headers: ['WWW-Authenticate: Digest realm="a", nonce="n1"'] }), env.p.port);
    const second = await b.next();
    await b.send(replyTo(second.text, 404, 'Not Found', { toTag: 'b' }), env.p.port);
    const fin = await finalOf(uac, 'rounds-1');
    expect(statusOf(fin.text)).toBe(404);
    expect(headersOf(fin.text, 'WWW-Authenticate')).toEqual([]);
    expect(seen).toEqual([
      { picked: 0, status: 401, code: 'Digest realm="a", nonce="n1"' },
      { picked: 1, status: 404, code: undefined },
    ]);
  });

  it('a 401 relayed after two rounds carries only the last round’s challenge', async () => {
    const [uac, a, b] = env.peers as [UdpPeer, UdpPeer, UdpPeer];
    let runs = 0;
    env.p.routes.request = async (ctx) => {
      ctx.t_on_failure('again');
      await ctx.t_relay();
    };
    env.p.routes.failure.again = async (ctx) => {
      if (++runs > 1) return;
      ctx.$ru = uri(b);
      await ctx.t_relay();
    };
    await uac.send(request('MESSAGE', uri(a), uac.port, { callId: 'rounds-2' }), env.p.port);
    const first = await a.next();
    await a.send(replyTo(first.text, 401, 'Unauthorized', { toTag: 'a', headers: ['WWW-Authenticate: Digest realm="r", nonce="old"'] }), env.p.port);
    const second = await b.next();
    await b.send(replyTo(second.text, 401, 'Unauthorized', { toTag: 'b', headers: ['WWW-Authenticate: Digest realm="r", nonce="new"'] }), env.p.port);
    const fin = await finalOf(uac, 'rounds-2');
    expect(statusOf(fin.text)).toBe(401);
    expect(headersOf(fin.text, 'WWW-Authenticate')).toEqual(['Digest realm="r", nonce="new"']);
    expect(headerOf(fin.text, 'To')).toMatch(/tag=b/);
  });
});
