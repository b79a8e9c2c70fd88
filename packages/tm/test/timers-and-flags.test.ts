/**
 * tm behaviour that worked in probes but had no test: restart_fr_on_each_reply, fr_inv_timer, T2, timers
 * G and H, enable_stats, delete_timer, the per-class and reply counters, drop() in branch_route and
 * onreply_route, t_flush_flags, resetbflag, a positive t_was_cancelled, and merged 401/407 challenges.
 * Timing checks leave wide margins on each side: the machine may be loaded.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, request, statusOf, replyTo, methodOf, nextMatching, headerOf, headersOf, finalOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

const open: Proxy[] = [];
const peers: UdpPeer[] = [];
afterAll(async () => {
  for (const x of peers) x.close();
  await Promise.all(open.map((p) => p.stop()));
});
async function setup(modparams: Record<string, unknown> = {}): Promise<{ p: Proxy; uac: UdpPeer; uas: UdpPeer; uas2: UdpPeer }> {
  const p = await startProxy(modparams);
  open.push(p);
  const [uac, uas, uas2] = [await UdpPeer.open(), await UdpPeer.open(), await UdpPeer.open()];
  peers.push(uac, uas, uas2);
  return { p, uac, uas, uas2 };
}
let n = 0;
beforeEach(() => void n++);
const uri = (peer: UdpPeer): string => `sip:bob@127.0.0.1:${peer.port}`;
const of = (callId: string) => (t: string) => headerOf(t, 'Call-ID') === callId;

describe('fr_inv_timer and restart_fr_on_each_reply', () => {
  /** A 180 at once and a 183 800 ms later; returns when the 408 came, counted from the 180. */
  async function ringThenSilence(restart: 0 | 1): Promise<number> {
    const { p, uac, uas } = await setup({ fr_timer: 5, fr_inv_timer: 1, restart_fr_on_each_reply: restart });
    p.routes.request = (ctx) => ctx.t_relay();
    const callId = `frinv-${restart}`;
    await uac.send(request('INVITE', uri(uas), uac.port, { callId }), p.port);
    const inv = await nextMatching(uas, of(callId));
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'r' }), p.port);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 800));
    await uas.send(replyTo(inv.text, 183, 'Session Progress', { toTag: 'r' }), p.port);
    const fin = await finalOf(uac, callId, 6000);
    expect(statusOf(fin.text)).toBe(408);
    return Date.now() - t0;
  }

  it('without restart: 408 fr_inv_timer (1 s) after the first provisional, not fr_timer (5 s)', async () => {
    const ms = await ringThenSilence(0);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(1700); // with restart it could not come before 800 + 1000 ms
  });

  it('with restart: each provisional starts fr_inv_timer again', async () => {
    expect(await ringThenSilence(1)).toBeGreaterThanOrEqual(1750);
  });
});

describe('retransmission timers', () => {
  it('T2 caps the non-INVITE retransmission interval (timer E: T1, 2*T1, then T2)', async () => {
    const { p, uac, uas } = await setup({ T1_timer: 50, T2_timer: 100, fr_timer: 2 });
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 't2' }), p.port);
    const at: number[] = [];
    for (let i = 0; i < 6; i++) {
      await nextMatching(uas, of('t2'));
      at.push(Date.now());
    }
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Uncapped the 4th and 5th gaps would be 400 and 800 ms.
    expect(Math.max(...gaps.slice(2))).toBeLessThan(350);
    expect(Math.min(...gaps.slice(2))).toBeGreaterThanOrEqual(80);
  });

  it('timer G resends our negative INVITE reply until the ACK; timer H (fr_timer) gives up without one', async () => {
    const { p, uac } = await setup({ T1_timer: 50, T2_timer: 200, fr_timer: 1, wt_timer: 0.1 });
    p.routes.request = (ctx) => (ctx.is_method('ACK') ? undefined : ctx.t_reply(486, 'Busy Here'));
    await uac.send(request('INVITE', 'sip:x@127.0.0.1', uac.port, { callId: 'timer-g' }), p.port);
    const first = await nextMatching(uac, of('timer-g'));
    for (let i = 0; i < 3; i++) expect((await nextMatching(uac, of('timer-g'))).text).toBe(first.text);
    // No ACK: timer H frees it after fr_timer and the copies stop.
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 4000, interval: 50 }).toBe(0);
    let late = 0;
    while (!(await uac.silent(400))) late++;
    expect(late).toBeLessThan(10); // only what was queued before H fired
  });
});

describe('enable_stats', () => {
  it('0: tm counts nothing; 1: it counts', async () => {
    const off = await setup({ enable_stats: 0 });
    const on = await setup({ enable_stats: 1 });
    for (const { p, uac } of [off, on]) {
      p.routes.request = (ctx) => ctx.t_reply(404, 'Nobody');
      await uac.send(request('MESSAGE', 'sip:x@127.0.0.1', uac.port, { callId: `stats-${p.port}` }), p.port);
      await finalOf(uac, `stats-${p.port}`);
    }
    expect([off.p.stat('UAS_transactions'), off.p.stat('4xx_transactions'), off.p.stat('local_replies')]).toEqual([0, 0, 0]);
    expect([on.p.stat('UAS_transactions'), on.p.stat('4xx_transactions'), on.p.stat('local_replies')]).toEqual([1, 1, 1]);
  });
});

describe('counters per final class and per reply', () => {
  it('3xx, 5xx, 6xx transactions and received/relayed replies count exactly', async () => {
    const { p, uac, uas } = await setup();
    p.routes.request = (ctx) => ctx.t_relay();
    const answers: [string, number][] = [
      ['c3', 302],
      ['c5', 500],
      ['c6', 603],
    ];
    for (const [callId, code] of answers) {
      await uac.send(request('OPTIONS', uri(uas), uac.port, { callId }), p.port);
      const got = await nextMatching(uas, of(callId));
      await uas.send(replyTo(got.text, 100, 'Trying'), p.port);
      await uas.send(replyTo(got.text, code, 'X', { toTag: 't', headers: code === 302 ? ['Contact: <sip:elsewhere@127.0.0.1>'] : [] }), p.port);
      expect(statusOf((await finalOf(uac, callId)).text)).toBe(code);
    }
    expect(['3xx_transactions', '5xx_transactions', '6xx_transactions', '2xx_transactions'].map((s) => p.stat(s))).toEqual([1, 1, 1, 0]);
    expect(p.stat('received_replies')).toBe(6); // a 100 and a final each
    expect(p.stat('relayed_replies')).toBe(3); // the 100s stop here (RFC 3261 16.7)
  });
});

describe('delete_timer', () => {
  it('a transaction whose failure_route is still running when wt_timer fires is freed after it ends', async () => {
    const { p, uac, uas } = await setup({ wt_timer: 0.1, delete_timer: 0.2 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inRoute = false;
    p.routes.failure.f = async (ctx) => {
      ctx.t_reply(480, 'Replied From Failure Route');
      inRoute = true;
      await held;
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_failure('f');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'del' }), p.port);
    const got = await nextMatching(uas, (t) => of('del')(t) && methodOf(t) === 'INVITE');
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'd' }), p.port);
    expect(statusOf((await finalOf(uac, 'del')).text)).toBe(480);
    await uac.send(request('ACK', uri(uas), uac.port, { callId: 'del', toTag: 'x' }), p.port);
    await expect.poll(() => inRoute).toBe(true);
    // Well past wt_timer (and timer I) the route still holds it.
    await new Promise((r) => setTimeout(r, 600));
    expect(p.stat('inuse_transactions')).toBe(1);
    release();
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000, interval: 20 }).toBe(0);
  });
});

describe('drop() in branch_route and onreply_route', () => {
  it('a dropped branch is not sent; the other one is', async () => {
    const { p, uac, uas, uas2 } = await setup();
    p.routes.branch.b = (ctx) => {
      if (ctx.$ru.includes(`:${uas2.port}`)) ctx.drop();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_branch('b');
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 'drop-br' }), p.port);
    const got = await nextMatching(uas, of('drop-br'));
    await uas.send(replyTo(got.text, 200, 'OK', { toTag: 'a' }), p.port);
    expect(statusOf((await finalOf(uac, 'drop-br')).text)).toBe(200);
    expect(await uas2.silent(200)).toBe(true);
  });

  it('a provisional reply dropped in onreply_route is not relayed; the final is', async () => {
    const { p, uac, uas } = await setup();
    p.routes.onreply.r = (ctx) => {
      if (ctx.$rs === 183) ctx.drop();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_reply('r');
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'drop-rpl' }), p.port);
    const got = await nextMatching(uas, of('drop-rpl'));
    await uas.send(replyTo(got.text, 183, 'Session Progress', { toTag: 'a' }), p.port);
    await uas.send(replyTo(got.text, 180, 'Ringing', { toTag: 'a' }), p.port);
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'a' }), p.port);
    const seen: number[] = [];
    for (;;) {
      const r = await nextMatching(uac, of('drop-rpl'));
      seen.push(statusOf(r.text));
      if (statusOf(r.text) >= 200) break;
    }
    expect(seen).toEqual([100, 180, 486]);
  });
});

describe('flags', () => {
  it('t_flush_flags copies flags set after t_newtran into the transaction (seen in failure_route)', async () => {
    const { p, uac, uas } = await setup();
    const seen: string[] = [];
    p.routes.failure.f = (ctx) => void seen.push(`F_A ${ctx.isflagset('F_A')} F_B ${ctx.isflagset('F_B')}`);
    p.routes.request = async (ctx) => {
      ctx.t_on_failure('f');
      ctx.t_newtran();
      ctx.setflag('F_A');
      ctx.t_flush_flags();
      ctx.setflag('F_B'); // after the flush: set on the message, not the transaction
      await ctx.t_relay();
    };
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 'flush' }), p.port);
    const got = await nextMatching(uas, of('flush'));
    await uas.send(replyTo(got.text, 404, 'No', { toTag: 'f' }), p.port);
    await finalOf(uac, 'flush');
    expect(seen).toEqual(['F_A true F_B false']);
  });

  it('resetbflag clears a branch flag before the branch is built', async () => {
    const { p, uac, uas } = await setup();
    const seen: number[] = [];
    p.routes.branch.b = (ctx) => void seen.push(ctx.isbflagset('F_A'), ctx.isbflagset('F_B'));
    p.routes.request = async (ctx) => {
      ctx.setbflag('F_A');
      ctx.setbflag('F_B');
      ctx.resetbflag('F_A');
      ctx.t_on_branch('b');
      await ctx.t_relay();
    };
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 'rbf' }), p.port);
    const got = await nextMatching(uas, of('rbf'));
    await uas.send(replyTo(got.text, 200, 'OK', { toTag: 'f' }), p.port);
    await finalOf(uac, 'rbf');
    expect(seen).toEqual([-1, 1]);
  });
});

describe('t_was_cancelled', () => {
  it('is 1 in failure_route after the caller CANCELled', async () => {
    const { p, uac, uas } = await setup();
    const seen: number[] = [];
    p.routes.failure.f = (ctx) => void seen.push(ctx.t_was_cancelled());
    p.routes.request = async (ctx) => {
      if (ctx.is_method('CANCEL')) return void (ctx.t_check_trans() > 0 && (await ctx.t_relay()));
      ctx.t_on_failure('f');
      await ctx.t_relay();
    };
    const inv = request('INVITE', uri(uas), uac.port, { callId: 'was-c', branch: 'z9hG4bKwasc' });
    await uac.send(inv, p.port);
    const got = await nextMatching(uas, (t) => of('was-c')(t) && methodOf(t) === 'INVITE');
    await uas.send(replyTo(got.text, 180, 'Ringing', { toTag: 'w' }), p.port);
    await uac.send(request('CANCEL', uri(uas), uac.port, { callId: 'was-c', branch: 'z9hG4bKwasc' }).replace(/tag=a\d+/, /tag=a\d+/.exec(inv)![0]), p.port);
    const c = await nextMatching(uas, (t) => of('was-c')(t) && methodOf(t) === 'CANCEL');
    await uas.send(replyTo(c.text, 200, 'OK', { toTag: 'w' }), p.port);
    await uas.send(replyTo(got.text, 487, 'Request Terminated', { toTag: 'w' }), p.port);
    expect(statusOf((await finalOf(uac, 'was-c')).text)).toBe(487);
    expect(seen).toEqual([1]);
  });
});

describe('401 and 407 from parallel branches', () => {
  it('the reply upstream carries both challenges (RFC 3261 16.7 step 7)', async () => {
    const { p, uac, uas, uas2 } = await setup();
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'two-auth' }), p.port);
    const a = await nextMatching(uas, of('two-auth'));
    const b = await nextMatching(uas2, of('two-auth'));
    await uas.send(replyTo(a.text, 401, 'Unauthorized', { toTag: 'a', headers: ['WWW-Authenticate: Digest realm="a", nonce="1"'] }), p.port);
    await uas2.send(replyTo(b.text, 407, 'Proxy Authentication Required', { toTag: 'b', headers: ['Proxy-Authenticate: Digest realm="b", nonce="2"'] }), p.port);
    const r = await finalOf(uac, 'two-auth');
    expect([401, 407]).toContain(statusOf(r.text));
    expect(headersOf(r.text, 'WWW-Authenticate')).toEqual(['Digest realm="a", nonce="1"']);
    expect(headersOf(r.text, 'Proxy-Authenticate')).toEqual(['Digest realm="b", nonce="2"']);
  });
});
