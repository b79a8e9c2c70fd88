/**
 * Script flow as OpenSIPS scripts rely on it: one final reply per transaction when t_relay fails (it
 * returns 0 and ends the script once tm has replied), a CANCEL that arrives while the branch is still
 * being built, a CANCEL with no INVITE, and the return codes of t_check_trans and t_reply.
 */
import { describe, expect, it } from 'vitest';
import { type UdpPeer, request, headerOf, headersOf, statusOf, replyTo, methodOf, nextMatching, finalOf, type Received } from '@tsips/testkit';
import { proxyWithPeers, type Proxy } from './support/proxy.js';

const env = proxyWithPeers(2);
const peers = (): { p: Proxy; uac: UdpPeer; uas: UdpPeer } => ({ p: env.p, uac: env.peers[0]!, uas: env.peers[1]! });
const uasUri = (uas: UdpPeer): string => `sip:bob@127.0.0.1:${uas.port}`;

/** Everything `peer` receives until the reply to a marker request, which the route answers 299 statelessly. */
async function untilMarker(p: Proxy, from: UdpPeer, to: UdpPeer, toUri: string): Promise<Received[]> {
  const callId = `marker-${Date.now()}-${Math.random()}`;
  await from.send(request('OPTIONS', toUri, from.port, { callId }), p.port);
  const got: Received[] = [];
  for (;;) {
    const r = await to.next(3000);
    if (headerOf(r.text, 'Call-ID') === callId) return got;
    got.push(r);
  }
}

/** The route used by the marker: OPTIONS with a marker Call-ID are answered 299 or relayed to the UAS. */
function marker(ctx: Parameters<Proxy['routes']['request']>[0]): boolean {
  if (!ctx.$ci.startsWith('marker-')) return false;
  if (ctx.$ru.includes('@127.0.0.1:')) return false;
  ctx.sl_send_reply(299, 'Marker');
  return true;
}

describe('t_relay failure: exactly one final reply', () => {
  it('replies 478 itself, returns 0 and ends the script, so `if (t_relay() < 0) sl_reply_error()` adds nothing', async () => {
    const { p, uac } = peers();
    let after = false;
    let slReplies = 0;
    p.routes.request = async (ctx) => {
      if (marker(ctx)) return;
      if ((await ctx.t_relay('udp:no-such-host.invalid:5060')) < 0) {
        slReplies++;
        ctx.sl_reply_error();
      }
      after = true;
    };
    await uac.send(request('INVITE', 'sip:bob@no-such-host.invalid', uac.port, { callId: 'one-final-1' }), p.port);
    const fin = await finalOf(uac, 'one-final-1');
    expect(statusOf(fin.text)).toBe(478);
    const rest = await untilMarker(p, uac, uac, 'sip:tsips@example.com');
    const finals = rest.filter((r) => headerOf(r.text, 'Call-ID') === 'one-final-1' && statusOf(r.text) >= 200);
    expect(finals).toEqual([]);
    expect(slReplies).toBe(0);
    expect(after).toBe(false);
  });

  it('with flag 0x2 tm sends nothing and returns the error, so the script answers', async () => {
    const { p, uac } = peers();
    let rc = 0;
    p.routes.request = async (ctx) => {
      rc = await ctx.t_relay('udp:no-such-host.invalid:5060', '0x2');
      if (rc < 0) ctx.t_reply(503, 'Script Says No');
    };
    await uac.send(request('OPTIONS', 'sip:bob@no-such-host.invalid', uac.port, { callId: 'one-final-2' }), p.port);
    const fin = await finalOf(uac, 'one-final-2');
    expect(fin.text.split('\r\n')[0]).toBe('SIP/2.0 503 Script Says No');
    expect(rc).toBe(-4);
  });
});

describe('a CANCEL while the branch is being built', () => {
  /** An INVITE held in branch_route until the CANCEL was answered; then relayed to `dest` or its R-URI. */
  async function cancelDuringBuild(callId: string, dest?: string): Promise<{ final: number; atUas: Received[] }> {
    const { p, uac, uas } = peers();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    p.routes.branch.hold = async () => {
      await gate;
    };
    p.routes.request = async (ctx) => {
      if (ctx.$ci.startsWith('marker-')) return void (await ctx.t_relay());
      if (ctx.is_method('CANCEL')) {
        if (ctx.t_check_trans() > 0) await ctx.t_relay();
        return;
      }
      ctx.t_on_branch('hold');
      if ((await ctx.t_relay(...(dest === undefined ? [] : [dest]))) < 0) ctx.sl_reply_error();
    };
    const inv = request('INVITE', uasUri(uas), uac.port, { callId, branch: `z9hG4bK${callId}` });
    await uac.send(inv, p.port);
    expect(statusOf((await nextMatching(uac, (t) => headerOf(t, 'Call-ID') === callId)).text)).toBe(100);
    const cancel = request('CANCEL', uasUri(uas), uac.port, { callId, branch: `z9hG4bK${callId}` }).replace(/tag=a\d+/, /tag=a\d+/.exec(inv)![0]);
    await uac.send(cancel, p.port);
    const cr = await nextMatching(uac, (t) => headerOf(t, 'Call-ID') === callId && /CSeq: 1 CANCEL/.test(t));
    expect(statusOf(cr.text)).toBe(200);
    release();
    const final = statusOf((await finalOf(uac, callId)).text);
    const atUas = (await untilMarker(p, uac, uas, uasUri(uas))).filter((r) => headerOf(r.text, 'Call-ID') === callId);
    return { final, atUas };
  }

  it('sends no INVITE and answers 487 (the callee never rings)', async () => {
    const r = await cancelDuringBuild('cancel-build-1');
    expect(r).toEqual({ final: 487, atUas: [] });
  });

  it('answers 487, not 478, when the destination also fails to resolve', async () => {
    const r = await cancelDuringBuild('cancel-build-2', 'udp:no-such-host.invalid:5060');
    expect(r).toEqual({ final: 487, atUas: [] });
  });
});

describe('a CANCEL with no matching INVITE', () => {
  it('is forwarded statelessly (RFC 3261 16.10), and so is its reply', async () => {
    const { p, uac, uas } = peers();
    p.routes.request = (ctx) => ctx.t_relay();
    const uasBefore = p.stat('UAS_transactions');
    await uac.send(request('CANCEL', uasUri(uas), uac.port, { callId: 'orphan-cancel', branch: 'z9hG4bKorphan' }), p.port);
    const fwd = await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'orphan-cancel');
    expect(methodOf(fwd.text)).toBe('CANCEL');
    const vias = headersOf(fwd.text, 'Via');
    expect(vias).toHaveLength(2);
    expect(vias[1]).toContain('branch=z9hG4bKorphan');
    await uas.send(replyTo(fwd.text, 481, 'Call/Transaction Does Not Exist', { toTag: 'o1' }), p.port);
    const back = await nextMatching(uac, (t) => headerOf(t, 'Call-ID') === 'orphan-cancel');
    expect(statusOf(back.text)).toBe(481);
    expect(headersOf(back.text, 'Via')).toHaveLength(1);
    expect(p.stat('UAS_transactions')).toBe(uasBefore); // no transaction was made for it
  });
});

describe('return codes of t_check_trans and t_reply', () => {
  it('t_check_trans after t_newtran on the same request is 1 and the script goes on', async () => {
    const { p, uac } = peers();
    const seen: number[] = [];
    p.routes.request = (ctx) => {
      ctx.t_newtran();
      seen.push(ctx.t_check_trans());
      ctx.t_reply(404, 'Nobody');
    };
    await uac.send(request('MESSAGE', 'sip:x@127.0.0.1', uac.port, { callId: 'check-after-newtran' }), p.port);
    expect(statusOf((await finalOf(uac, 'check-after-newtran')).text)).toBe(404);
    expect(seen).toEqual([1]);
  });

  it('t_reply on a retransmission ends the script (0 in OpenSIPS); the transaction resends its reply', async () => {
    const { p, uac } = peers();
    const after: number[] = [];
    p.routes.request = (ctx) => {
      after.push(ctx.t_reply(486, 'Busy Here'));
    };
    const msg = request('MESSAGE', 'sip:x@127.0.0.1', uac.port, { callId: 'reply-retr', branch: 'z9hG4bKreplyretr' });
    await uac.send(msg, p.port);
    const a = await finalOf(uac, 'reply-retr');
    await uac.send(msg, p.port);
    const b = await finalOf(uac, 'reply-retr');
    expect(b.text).toBe(a.text);
    expect(after).toEqual([1]);
  });

  it('t_check_trans is 1 for the hop-by-hop ACK of our negative reply, absorbs it and lets the script go on', async () => {
    const { p, uac, uas } = peers();
    const acks: number[] = [];
    p.routes.request = async (ctx) => {
      if (marker(ctx)) return;
      if (ctx.is_method('ACK')) {
        acks.push(ctx.t_check_trans());
        if (acks.length === 1) acks.push(await ctx.t_relay()); // absorbed there too: t_relay ends the script
        return;
      }
      await ctx.t_relay();
    };
    const inv = request('INVITE', uasUri(uas), uac.port, { callId: 'hbh-ack', branch: 'z9hG4bKhbhack' });
    await uac.send(inv, p.port);
    const got = await nextMatching(uas, (t) => methodOf(t) === 'INVITE' && headerOf(t, 'Call-ID') === 'hbh-ack');
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'h' }), p.port);
    expect(statusOf((await finalOf(uac, 'hbh-ack')).text)).toBe(486);
    const ack = request('ACK', uasUri(uas), uac.port, { callId: 'hbh-ack', branch: 'z9hG4bKhbhack', toTag: 'h' }).replace(/tag=a\d+/, /tag=a\d+/.exec(inv)![0]);
    await uac.send(ack, p.port);
    await expect.poll(() => acks.length).toBe(1);
    // t_relay on the absorbed ACK returned 0 by ending the script: nothing was pushed after it.
    await untilMarker(p, uac, uac, 'sip:tsips@example.com');
    expect(acks).toEqual([1]);
  });
});

describe("t_local_replied in failure_route (OpenSIPS: 'all' = no branch received a reply, 'last' = the winning reply)", () => {
  async function timeoutCase(callId: string, provisional: boolean): Promise<string[]> {
    const { p, uac, uas } = peers();
    const log: string[] = [];
    p.routes.failure.lr = (ctx) => void log.push(`all ${ctx.t_local_replied('all')} last ${ctx.t_local_replied('last')} code ${ctx.T_reply_code()}`);
    p.routes.request = async (ctx) => {
      if (marker(ctx)) return;
      ctx.t_on_failure('lr');
      await ctx.t_relay();
    };
    await uac.send(request('OPTIONS', uasUri(uas), uac.port, { callId }), p.port);
    const got = await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === callId);
    if (provisional) await uas.send(replyTo(got.text, 100, 'Trying'), p.port);
    expect(statusOf((await finalOf(uac, callId, 5000)).text)).toBe(408);
    return log;
  }

  it('a branch that timed out with no reply at all: both true', async () => {
    expect(await timeoutCase('lr-silent', false)).toEqual(['all 1 last 1 code 408']);
  });

  it('a branch that sent 100 and then timed out: all false (a reply was received), last true (the 408 is ours)', async () => {
    expect(await timeoutCase('lr-100', true)).toEqual(['all -1 last 1 code 408']);
  });

  it('t_reply with no branch: both true in the request route', async () => {
    const { p, uac } = peers();
    const log: number[] = [];
    p.routes.request = (ctx) => {
      ctx.t_reply(404, 'Nobody');
      log.push(ctx.t_local_replied('all'), ctx.t_local_replied('last'));
    };
    await uac.send(request('MESSAGE', 'sip:x@127.0.0.1', uac.port, { callId: 'lr-local' }), p.port);
    await finalOf(uac, 'lr-local');
    expect(log).toEqual([1, 1]);
  });
});
