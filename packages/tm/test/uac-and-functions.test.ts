import { beforeAll, describe, expect, it } from 'vitest';
import type { TmApi, TmcbType } from '../src/index.js';
import { type UdpPeer, freePort, request, headerOf, statusOf, replyTo, methodOf, nextMatching } from '@tsips/testkit';
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

describe('UAC API (request)', () => {
  it('sends an OPTIONS, retransmits it over UDP, and resolves with the 200', async () => {
    const h = api.request({ method: 'OPTIONS', ruri: uasUri(), from: '<sip:tsips@127.0.0.1>', to: `<${uasUri()}>` });
    const a = await uas.next();
    expect(methodOf(a.text)).toBe('OPTIONS');
    expect(headerOf(a.text, 'From')).toMatch(/;tag=/);
    const b = await uas.next(500); // timer E
    expect(b.text).toBe(a.text);
    await uas.send(replyTo(a.text, 200, 'OK', { toTag: 'o' }), p.port);
    const o = await h.done;
    expect(o.code).toBe(200);
    expect(o.reply?.status).toBe(200);
    expect(p.stat('UAC_transactions')).toBeGreaterThan(0);
  });

  it('resolves 408 when nobody answers (fr_timer)', async () => {
    const port = await freePort(); // nobody listens there
    const h = api.request({ method: 'BYE', ruri: `sip:x@127.0.0.1:${port}`, from: '<sip:a@x>;tag=1', to: '<sip:b@x>;tag=2', callId: 'bye-1', cseq: 5 });
    const o = await h.done;
    expect(o.code).toBe(408);
    expect(o.reply).toBe(undefined);
  });

  it('ACKs a negative INVITE reply itself; sendAck sends the 2xx ACK to the Contact; cancel() CANCELs', async () => {
    const seen: TmcbType[] = [];
    const h = api.request(
      { method: 'INVITE', ruri: uasUri(), from: '<sip:a@x>', to: `<${uasUri()}>`, contact: '<sip:tsips@127.0.0.1>' },
      { onProvisional: () => void seen.push('TMCB_RESPONSE_IN') },
    );
    api.registerTmcb(['TMCB_LOCAL_COMPLETED'], (t) => void seen.push(t), h.transaction);
    const inv = await uas.next();
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'r' }), p.port);
    await expect.poll(() => seen.length).toBe(1);
    h.cancel();
    const cancel = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    expect(headerOf(cancel.text, 'CSeq')).toBe('1 CANCEL');
    await uas.send(replyTo(cancel.text, 200, 'OK', { toTag: 'r' }), p.port);
    await uas.send(replyTo(inv.text, 487, 'Request Terminated', { toTag: 'r' }), p.port);
    expect((await h.done).code).toBe(487);
    expect(methodOf((await nextMatching(uas, (t) => methodOf(t) === 'ACK')).text)).toBe('ACK');
    expect(seen).toEqual(['TMCB_RESPONSE_IN', 'TMCB_LOCAL_COMPLETED']);

    const h2 = api.request({ method: 'INVITE', ruri: uasUri(), from: '<sip:a@x>', to: `<${uasUri()}>` });
    const inv2 = await uas.next();
    await uas.send(replyTo(inv2.text, 200, 'OK', { toTag: 'k', headers: [`Contact: <sip:bob@127.0.0.1:${uas.port}>`] }), p.port);
    const o = await h2.done;
    expect(o.code).toBe(200);
    await api.sendAck(h2, o.reply!);
    const ack = await nextMatching(uas, (t) => methodOf(t) === 'ACK');
    expect(headerOf(ack.text, 'To')).toContain('tag=k');
    expect(headerOf(ack.text, 'CSeq')).toBe('1 ACK');
  });
});

describe('script functions', () => {
  it('t_newtran + t_reply answer statefully; retransmissions get the same reply; t_check_trans sees them', async () => {
    let checks = 0;
    p.routes.request = (ctx) => {
      if (ctx.t_check_trans() < 0) checks++;
      ctx.t_newtran();
      ctx.t_reply(404, 'Nobody');
    };
    const msg = request('MESSAGE', uasUri(), uac.port, { branch: 'z9hG4bKnewtran' });
    await uac.send(msg, p.port);
    const a = await uac.next();
    expect(a.text.split('\r\n')[0]).toBe('SIP/2.0 404 Nobody');
    await uac.send(msg, p.port);
    const b = await uac.next();
    expect(b.text).toBe(a.text);
    expect(checks).toBe(1);
    expect(p.stat('local_replies')).toBeGreaterThan(0);
  });

  it('onreply_route sees $T_reply_code / $T_branch_idx and branch flags; t_check_status, t_local_replied, t_was_cancelled in failure_route', async () => {
    const log: string[] = [];
    p.routes.branch.b = (ctx) => {
      ctx.setbflag('F_A');
      log.push(`branch ${ctx.T_branch_idx()}`);
    };
    p.routes.onreply.r = (ctx) => {
      log.push(`reply ${ctx.T_reply_code()} idx ${ctx.T_branch_idx()} bflag ${ctx.isbflagset('F_A')}`);
    };
    p.routes.failure.f = (ctx) => {
      log.push(`failure ${ctx.t_check_status('^48[0-9]$')} local-last ${ctx.t_local_replied('last')} cancelled ${ctx.t_was_cancelled()}`);
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_branch('b');
      ctx.t_on_reply('r');
      ctx.t_on_failure('f');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uasUri(), uac.port), p.port);
    const inv = await uas.next();
    await uas.send(replyTo(inv.text, 486, 'Busy Here', { toTag: 'z' }), p.port);
    const r = await nextMatching(uac, (t) => statusOf(t) >= 200);
    expect(statusOf(r.text)).toBe(486);
    expect(log).toEqual(['branch 0', 'reply 486 idx 0 bflag 1', 'failure 1 local-last -1 cancelled -1']); // the winning 486 was received
  });

  it("t_local_replied: 'all' is false once a branch received a reply; 'last' is the last reply sent upstream (our 100, then the relayed 180)", async () => {
    const log: string[] = [];
    p.routes.onreply.r = (ctx) => {
      log.push(`${ctx.T_reply_code()} all ${ctx.t_local_replied('all')} last ${ctx.t_local_replied('last')}`);
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_reply('r');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uasUri(), uac.port), p.port);
    const inv = await uas.next();
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'lr' }), p.port);
    await nextMatching(uac, (t) => statusOf(t) === 180);
    await uas.send(replyTo(inv.text, 200, 'OK', { toTag: 'lr' }), p.port);
    await nextMatching(uac, (t) => statusOf(t) === 200);
    expect(log).toEqual(['180 all -1 last 1', '200 all -1 last -1']);
  });

  it('replies 478 for an unresolvable destination and ends the script (t_relay returned 0)', async () => {
    let rc = 1;
    p.routes.request = async (ctx) => {
      rc = -100;
      rc = await ctx.t_relay('udp:no-such-host.invalid:5060');
    };
    await uac.send(request('OPTIONS', uasUri(), uac.port, { callId: 'unresolvable-1' }), p.port);
    // Earlier tests' unacknowledged 486 may still be retransmitted (timer G): take this call's reply.
    expect(statusOf((await nextMatching(uac, (t) => t.includes('Call-ID: unresolvable-1\r\n'))).text)).toBe(478);
    expect(rc).toBe(-100); // never assigned: the script ended inside t_relay
  });
});

describe('RFC 6026 and cleanup', () => {
  it('relays a 2xx that arrives after the INVITE was answered 408 locally', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', uasUri(), uac.port, { callId: 'late-2xx' }), p.port);
    const inv = await uas.next();
    // No reply at all within fr_timer (1 s): 408 upstream.
    const timeout = await nextMatching(uac, (t) => statusOf(t) === 408, 3000);
    expect(headerOf(timeout.text, 'Call-ID')).toBe('late-2xx');
    await uas.send(replyTo(inv.text, 200, 'OK', { toTag: 'late' }), p.port);
    const ok = await nextMatching(uac, (t) => statusOf(t) === 200);
    expect(headerOf(ok.text, 'Call-ID')).toBe('late-2xx');
  });

  it('frees every transaction after wt_timer: inuse_transactions returns to 0', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    const n = 40;
    for (let i = 0; i < n; i++) await uac.send(request('OPTIONS', uasUri(), uac.port, { callId: `leak-${i}` }), p.port);
    for (let i = 0; i < n; i++) {
      const r = await nextMatching(uas, (t) => methodOf(t) === 'OPTIONS');
      await uas.send(replyTo(r.text, 200, 'OK', { toTag: 't' }), p.port);
    }
    for (let i = 0; i < n; i++) await nextMatching(uac, (t) => statusOf(t) === 200);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });
});

describe('MI', () => {
  it('t_reply answers a pending transaction by id; t_uac_dlg sends a request and returns the reply', async () => {
    let id = '';
    p.routes.request = (ctx) => {
      ctx.t_newtran();
      id = api.getTransaction(ctx)!.id;
    };
    await uac.send(request('MESSAGE', uasUri(), uac.port), p.port);
    await expect.poll(() => id).not.toBe('');
    await p.server.mi.call('t_reply', { code: 202, reason: 'Later', trans_id: id, to_tag: 'mi1', new_headers: 'X-Why: test' });
    const r = await uac.next();
    expect(r.text.split('\r\n')[0]).toBe('SIP/2.0 202 Later');
    expect(headerOf(r.text, 'To')).toContain('tag=mi1');
    expect(headerOf(r.text, 'X-Why')).toBe('test');
    await expect(p.server.mi.call('t_reply', { code: 200, reason: 'x', trans_id: '1:999999', to_tag: 'x' })).rejects.toThrow(/no such transaction/);

    const res = p.server.mi.call('t_uac_dlg', { method: 'OPTIONS', ruri: uasUri(), next_hop: '.', headers: `From: <sip:mi@x>\r\nTo: <${uasUri()}>\r\n` });
    const o = await uas.next();
    await uas.send(replyTo(o.text, 200, 'OK', { toTag: 'u' }), p.port);
    expect(await res).toMatchObject({ Status: '200 OK' });
  });
});
