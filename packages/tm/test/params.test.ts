/**
 * tm modparams that change behaviour, each on its own proxy: minor_branch_flag, disable_6xx_block,
 * fr_timer_avp / fr_inv_timer_avp, syn_branch=0, and RFC 2543 matching with ruri_matching / via1_matching.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, freePort, request, statusOf, replyTo, methodOf, nextMatching, headerOf, finalOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

let uac: UdpPeer;
let uas: UdpPeer;
let uas2: UdpPeer;
const proxies: Proxy[] = [];

async function proxy(params: Record<string, unknown>): Promise<Proxy> {
  const p = await startProxy(params);
  proxies.push(p);
  return p;
}

beforeAll(async () => {
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
  uas2 = await UdpPeer.open();
});
afterAll(async () => {
  for (const x of [uac, uas, uas2]) x.close();
  await Promise.all(proxies.map((p) => p.stop()));
});
beforeEach(async () => {
  for (const peer of [uac, uas, uas2]) while (!(await peer.silent(20)));
});

const uri = (peer: UdpPeer) => `sip:bob@127.0.0.1:${peer.port}`;

describe('minor_branch_flag', () => {
  it('a minor branch is not waited for: the other branch fails, the minor one is CANCELled and the failure goes up', async () => {
    const p = await proxy({ minor_branch_flag: 'MINOR', fr_inv_timer: 5 });
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas2));
      ctx.setbflag('MINOR', 1); // the appended branch: a media server playing early media
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'minor-1' }), p.port);
    const a = await uas.next();
    const m = await uas2.next();
    await uas2.send(replyTo(m.text, 183, 'Session Progress', { toTag: 'm' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => statusOf(t) > 100)).text)).toBe(183);
    const t0 = Date.now();
    await uas.send(replyTo(a.text, 486, 'Busy Here', { toTag: 'a' }), p.port);
    const r = await finalOf(uac, 'minor-1');
    expect(statusOf(r.text)).toBe(486);
    expect(Date.now() - t0).toBeLessThan(1000); // not after fr_inv_timer
    const cancel = await nextMatching(uas2, (t) => methodOf(t) === 'CANCEL');
    await uas2.send(replyTo(cancel.text, 200, 'OK', { toTag: 'm' }), p.port);
    await uas2.send(replyTo(m.text, 487, 'Request Terminated', { toTag: 'm' }), p.port);
    expect(await nextMatching(uac, (t) => statusOf(t) === 487, 300).catch(() => undefined)).toBe(undefined);
  });

  it('without the flag on the branch the same call waits for it', async () => {
    const p = await proxy({ minor_branch_flag: 'MINOR', fr_inv_timer: 5 });
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'minor-2' }), p.port);
    const a = await uas.next();
    const m = await uas2.next();
    await uas2.send(replyTo(m.text, 183, 'Session Progress', { toTag: 'm' }), p.port);
    await uas.send(replyTo(a.text, 486, 'Busy Here', { toTag: 'a' }), p.port);
    expect(await finalOf(uac, 'minor-2', 500).catch(() => undefined)).toBe(undefined);
    expect(await nextMatching(uas2, (t) => methodOf(t) === 'CANCEL', 200).catch(() => undefined)).toBe(undefined);
    await uas2.send(replyTo(m.text, 480, 'Unavailable', { toTag: 'm' }), p.port);
    expect(statusOf((await finalOf(uac, 'minor-2')).text)).toBe(480);
  });
});

describe('minor_branch_flag: minor branches are transparent to reply selection', () => {
  it("a minor branch's 401 does not win over the other branch's 480", async () => {
    const p = await proxy({ minor_branch_flag: 'MINOR', fr_inv_timer: 5 });
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas2));
      ctx.setbflag('MINOR', 1);
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'minor-3' }), p.port);
    const a = await uas.next();
    const m = await uas2.next();
    // Without transparency 401 (a code the UAC can act on) would be chosen over 480.
    await uas2.send(replyTo(m.text, 401, 'Unauthorized', { toTag: 'm', headers: ['WWW-Authenticate: Digest realm="media", nonce="1"'] }), p.port);
    await uas.send(replyTo(a.text, 480, 'Temporarily Unavailable', { toTag: 'a' }), p.port);
    const r = await finalOf(uac, 'minor-3');
    expect(statusOf(r.text)).toBe(480);
    expect(headerOf(r.text, 'WWW-Authenticate')).toBe(undefined);
  });
});

describe('disable_6xx_block', () => {
  const run = async (p: Proxy, callId: string): Promise<{ rc: number; final: number; second: boolean }> => {
    let rc = 0;
    p.routes.failure.f = async (ctx) => {
      ctx.$ru = uri(uas2);
      rc = await ctx.t_relay();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_failure('f');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId }), p.port);
    const a = await uas.next();
    await uas.send(replyTo(a.text, 603, 'Decline', { toTag: 'a' }), p.port);
    const b = await nextMatching(uas2, (t) => methodOf(t) === 'INVITE', 500).catch(() => undefined);
    if (b !== undefined) await uas2.send(replyTo(b.text, 200, 'OK', { toTag: 'vm' }), p.port);
    return { rc, final: statusOf((await finalOf(uac, callId)).text), second: b !== undefined };
  };

  it('0: a 6xx blocks serial forking (t_relay in failure_route returns -3, the 603 goes up)', async () => {
    expect(await run(await proxy({ disable_6xx_block: 0 }), '6xx-0')).toEqual({ rc: -3, final: 603, second: false });
  });

  it('1: a 6xx is like any negative reply (failure_route forks to voicemail)', async () => {
    expect(await run(await proxy({ disable_6xx_block: 1 }), '6xx-1')).toEqual({ rc: 1, final: 200, second: true });
  });

  it('0: a 6xx on one parallel branch CANCELs the others', async () => {
    const p = await proxy({ disable_6xx_block: 0 });
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: '6xx-par' }), p.port);
    const a = await uas.next();
    const b = await uas2.next();
    await uas2.send(replyTo(b.text, 180, 'Ringing', { toTag: 'b' }), p.port);
    await uas.send(replyTo(a.text, 600, 'Busy Everywhere', { toTag: 'a' }), p.port);
    const c = await nextMatching(uas2, (t) => methodOf(t) === 'CANCEL');
    await uas2.send(replyTo(c.text, 200, 'OK', { toTag: 'b' }), p.port);
    await uas2.send(replyTo(b.text, 487, 'Request Terminated', { toTag: 'b' }), p.port);
    expect(statusOf((await finalOf(uac, '6xx-par')).text)).toBe(600);
  });
});

describe('fr_timer_avp / fr_inv_timer_avp', () => {
  it('the AVPs override fr_timer and fr_inv_timer per transaction; without them the modparams apply', async () => {
    const p = await proxy({ fr_timer: 2, fr_inv_timer: 3, fr_timer_avp: '$avp(frt)', fr_inv_timer_avp: '$avp(fit)' });
    const deadPort = await freePort();
    p.routes.request = async (ctx) => {
      if (ctx.$ci === 'avp-fr') ctx.setAvp('frt', 0.3);
      if (ctx.$ci === 'avp-inv') ctx.setAvp('fit', '0.4');
      await ctx.t_relay();
    };
    let t0 = Date.now();
    await uac.send(request('OPTIONS', `sip:x@127.0.0.1:${deadPort}`, uac.port, { callId: 'avp-fr' }), p.port);
    expect(statusOf((await finalOf(uac, 'avp-fr')).text)).toBe(408);
    const fr = Date.now() - t0;
    expect(fr).toBeGreaterThanOrEqual(250);
    expect(fr).toBeLessThan(1500);

    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'avp-inv' }), p.port);
    const inv = await uas.next();
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'r' }), p.port);
    t0 = Date.now();
    const r = await finalOf(uac, 'avp-inv');
    expect(statusOf(r.text)).toBe(408);
    const fi = Date.now() - t0;
    expect(fi).toBeGreaterThanOrEqual(300);
    expect(fi).toBeLessThan(1500);
    const cancel = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL'); // it had rung: CANCEL it
    expect(headerOf(cancel.text, 'Call-ID')).toBe('avp-inv');

    t0 = Date.now();
    await uac.send(request('OPTIONS', `sip:x@127.0.0.1:${deadPort}`, uac.port, { callId: 'no-avp' }), p.port);
    expect(statusOf((await finalOf(uac, 'no-avp')).text)).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  });
});

describe('syn_branch=0', () => {
  it('random branch ids still match replies and CANCEL, and the transaction is freed', async () => {
    const p = await proxy({ syn_branch: 0 });
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'syn-0', branch: 'z9hG4bKsyn0' }), p.port);
    const inv = await uas.next();
    const via = headerOf(inv.text, 'Via') ?? '';
    expect(via).toMatch(/;branch=z9hG4bK[0-9a-f]{20}\.0;/);
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 's' }), p.port);
    expect(statusOf((await nextMatching(uac, (t) => statusOf(t) === 180)).text)).toBe(180);
    await uac.send(request('CANCEL', uri(uas), uac.port, { callId: 'syn-0', branch: 'z9hG4bKsyn0' }), p.port);
    const c = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    expect(headerOf(c.text, 'Via')).toBe(via);
    await uas.send(replyTo(c.text, 200, 'OK', { toTag: 's' }), p.port);
    await uas.send(replyTo(inv.text, 487, 'Request Terminated', { toTag: 's' }), p.port);
    expect(statusOf((await finalOf(uac, 'syn-0')).text)).toBe(487);
    await uac.send(request('ACK', uri(uas), uac.port, { callId: 'syn-0', branch: 'z9hG4bKsyn0', toTag: 's' }), p.port);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });
});

describe('RFC 2543 matching (no z9hG4bK branch)', () => {
  /** An INVITE answered 486; returns what t_check_trans did with an ACK and a CANCEL built by `tweak`. */
  async function scenario(p: Proxy, callId: string, tweak: { ruri?: string; branch?: string }): Promise<{ ack: string; cancel: 'matched' | 'forwarded' }> {
    let ack = '';
    p.routes.request = async (ctx) => {
      if (ctx.is_method('ACK')) {
        ack = String(ctx.t_check_trans()); // 1: matched hop by hop (and absorbed), -1: no transaction
        return;
      }
      await ctx.t_relay();
    };
    const inv = request('INVITE', uri(uas), uac.port, { callId, branch: `old${callId}` });
    await uac.send(inv, p.port);
    const mine = (t: string): boolean => headerOf(t, 'Call-ID') === callId;
    const got = await nextMatching(uas, (t) => mine(t) && methodOf(t) === 'INVITE');
    await uas.send(replyTo(got.text, 100, 'Trying'), p.port);
    await uac.send(inv, p.port); // a retransmission: absorbed, the last reply (100) resent
    expect(statusOf((await nextMatching(uac, mine)).text)).toBe(100);
    expect(statusOf((await nextMatching(uac, mine)).text)).toBe(100);
    expect(await nextMatching(uas, mine, 150).catch(() => undefined)).toBe(undefined);
    // A CANCEL built by `tweak` (the UAS has not answered yet).
    const cancel = request('CANCEL', tweak.ruri ?? uri(uas), uac.port, { callId, branch: tweak.branch ?? `old${callId}` }).replace(/tag=a\d+/, /tag=a\d+/.exec(inv)![0]);
    await uac.send(cancel, p.port);
    // Matched: tm answers it 200 and cancels its branch (same top Via as its INVITE). Not matched: it is
    // forwarded statelessly (RFC 3261 16.10), with a Via of its own.
    const c = await nextMatching(uas, (t) => mine(t) && methodOf(t) === 'CANCEL');
    const matched = headerOf(c.text, 'Via') === headerOf(got.text, 'Via');
    if (matched) {
      expect(statusOf((await nextMatching(uac, (t) => mine(t) && /CSeq: 1 CANCEL/.test(t))).text)).toBe(200);
      await uas.send(replyTo(c.text, 200, 'OK', { toTag: 'x' }), p.port);
      await uas.send(replyTo(got.text, 487, 'Request Terminated', { toTag: 'x' }), p.port);
    } else {
      await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'x' }), p.port);
    }
    const fin = await finalOf(uac, callId);
    const ackMsg = request('ACK', tweak.ruri ?? uri(uas), uac.port, { callId, branch: tweak.branch ?? `old${callId}`, toTag: 'x' }).replace(
      /tag=a\d+/,
      /tag=a\d+/.exec(inv)![0],
    );
    await uac.send(ackMsg, p.port);
    await expect.poll(() => ack).not.toBe('');
    await new Promise((r) => setTimeout(r, 50));
    void fin;
    return { ack, cancel: matched ? 'matched' : 'forwarded' };
  }

  it('ruri_matching=1, via1_matching=1: same R-URI and Via match (retransmission absorbed, CANCEL matched, ACK matched)', async () => {
    const p = await proxy({ ruri_matching: 1, via1_matching: 1 });
    expect(await scenario(p, 'm2543-1', {})).toEqual({ ack: '1', cancel: 'matched' });
  });

  it('ruri_matching=1: another R-URI in CANCEL/ACK does not match (CANCEL forwarded statelessly, ACK not absorbed)', async () => {
    const p = await proxy({ ruri_matching: 1, via1_matching: 1 });
    expect(await scenario(p, 'm2543-2', { ruri: `sip:other@127.0.0.1:${uas.port}` })).toEqual({ ack: '-1', cancel: 'forwarded' });
  });

  it('ruri_matching=0: another R-URI still matches', async () => {
    const p = await proxy({ ruri_matching: 0, via1_matching: 1 });
    expect(await scenario(p, 'm2543-3', { ruri: `sip:other@127.0.0.1:${uas.port}` })).toEqual({ ack: '1', cancel: 'matched' });
  });

  it('via1_matching=1: another top Via does not match; via1_matching=0: it does', async () => {
    const on = await proxy({ ruri_matching: 1, via1_matching: 1 });
    expect(await scenario(on, 'm2543-4', { branch: 'changed1' })).toEqual({ ack: '-1', cancel: 'forwarded' });
    const off = await proxy({ ruri_matching: 1, via1_matching: 0 });
    expect(await scenario(off, 'm2543-5', { branch: 'changed2' })).toEqual({ ack: '1', cancel: 'matched' });
  });
});
