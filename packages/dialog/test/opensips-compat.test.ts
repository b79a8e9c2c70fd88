/**
 * Porting traps (issue 12, item 3): what an OpenSIPS script reads or gets back must be what OpenSIPS gives —
 * validate_dialog codes, $DLG_timeout as the seconds left, $DLG_end_reason strings, E_DLG_STATE_CHANGED
 * parameter names, dlg_end_dlg's extra_hdrs (and dlg_extra_hdrs), dlg_match_mode 0 by default, $DLG_did.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call, type Call } from './proxy.js';
import { headerOf, methodOf, statusOf } from './sip-ua.js';
import type { Dlg } from '../src/index.js';

let p: Proxy;
beforeAll(async () => {
  // dlg_match_mode left at its default.
  p = await Proxy.start({ dialog: { dlg_extra_hdrs: 'X-Dlg: from-modparam\r\n' } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: '', recordRoute: true };
});

/** A call whose dialog the test keeps. */
async function tracked(): Promise<{ c: Call; d: Dlg }> {
  let d: Dlg | undefined;
  const before = p.hooks.initial;
  p.hooks.initial = async (ctx) => {
    d = p.api.getDlg(ctx);
    await before?.(ctx);
  };
  const c = await call(p);
  return { c, d: d! };
}

async function hangUp(c: Call, from: 'caller' | 'callee'): Promise<void> {
  const [a, b] = from === 'caller' ? [c.caller, c.callee] : [c.callee, c.caller];
  if (from === 'callee') a.cseq = 100;
  await a.sendInDialog('BYE');
  await answerNext(b);
  expect(statusOf((await a.nextNon100()).text)).toBe(200);
}

describe('validate_dialog return codes (OpenSIPS: -1 CSeq, -2 target, -3 route set, -4 other)', () => {
  it("-3 for a Route set that is not the dialog's, -4 without a dialog", async () => {
    const got: number[] = [];
    p.hooks.within = (ctx, matched) => {
      got.push(ctx.validate_dialog());
      if (matched) ctx.fix_route_dialog(); // the bogus Route must not be followed
    };
    const { c } = await tracked();
    got.length = 0;
    c.caller.routes.push('<sip:127.0.0.1:9;lr>');
    await c.caller.sendInDialog('INFO');
    expect(methodOf(await answerNext(c.callee))).toBe('INFO');
    await c.caller.nextNon100();
    c.caller.routes.pop();
    expect(got).toEqual([-3]);
    // No dialog: a To-tagged request that matches nothing.
    got.length = 0;
    const stray = c.caller.request('INFO', c.caller.remoteTarget).replace(/^Call-ID: .*$/m, 'Call-ID: nobody@test');
    await c.caller.send(stray.replace(/^Route: .*\r\n/gm, ''));
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(404);
    expect(got).toEqual([-4]);
    await hangUp(c, 'caller');
    c.caller.close();
    c.callee.close();
  });
});

describe('$DLG_timeout and $DLG_did', () => {
  it('reads the seconds left, not the lifetime that was set; $DLG_did is h_entry:h_id as dlg_list prints it', async () => {
    p.hooks.initial = (ctx) => void ctx.DLG_timeout(100);
    let left = -1;
    let did = '';
    p.hooks.within = (ctx) => {
      if (ctx.msg.method !== 'INFO') return;
      // 30 s later (the engine reads Date.now()).
      const realNow = Date.now;
      Date.now = () => realNow() + 30_000;
      try {
        left = ctx.DLG_timeout();
      } finally {
        Date.now = realNow;
      }
      did = ctx.DLG_did();
    };
    const { c, d } = await tracked();
    await c.caller.sendInDialog('INFO');
    await answerNext(c.callee);
    await c.caller.nextNon100();
    expect(left).toBeGreaterThanOrEqual(65);
    expect(left).toBeLessThanOrEqual(70);
    const listed = ((await p.mi('dlg_list', { callid: c.caller.callId })) as { Dialogs: { h_entry: number; h_id: number }[] }).Dialogs[0]!;
    expect(did).toBe(`${listed.h_entry}:${listed.h_id}`);
    expect(did).toBe(d.id);
    await hangUp(c, 'caller');
    c.caller.close();
    c.callee.close();
  });
});

describe('$DLG_end_reason', () => {
  it("'Downstream BYE' when the caller hangs up, 'Upstream BYE' when the callee does (read in the BYE's route)", async () => {
    const reasons: string[] = [];
    p.hooks.within = (ctx) => {
      if (ctx.msg.method === 'BYE') reasons.push(ctx.DLG_end_reason());
    };
    const a = await tracked();
    await hangUp(a.c, 'caller');
    const b = await tracked();
    await hangUp(b.c, 'callee');
    expect(reasons).toEqual(['Downstream BYE', 'Upstream BYE']);
    expect([a.d.termReason, b.d.termReason]).toEqual(['Downstream BYE', 'Upstream BYE']);
    for (const x of [a, b]) {
      x.c.caller.close();
      x.c.callee.close();
    }
  });

  it("'MI Termination' for dlg_end_dlg, whose extra_hdrs go into both BYEs with dlg_extra_hdrs", async () => {
    const { c, d } = await tracked();
    expect(await p.mi('dlg_end_dlg', { dialog_id: d.id, extra_hdrs: 'X-Why: testing\r\n' })).toBe('OK');
    for (const ua of [c.callee, c.caller]) {
      const bye = await answerNext(ua);
      expect(methodOf(bye)).toBe('BYE');
      expect(headerOf(bye, 'X-Why')).toBe('testing');
      expect(headerOf(bye, 'X-Dlg')).toBe('from-modparam');
    }
    expect(d.termReason).toBe('MI Termination');
    c.caller.close();
    c.callee.close();
  });

  it("'API Termination' for terminate_dlg without a reason, the reason given otherwise", async () => {
    const a = await tracked();
    const b = await tracked();
    expect(p.api.terminateDlg(a.d.hEntry, a.d.hId, '')).toBe(0);
    expect(p.api.terminateDlg(b.d.hEntry, b.d.hId, 'credit expired')).toBe(0);
    for (const x of [a, b]) {
      await answerNext(x.c.callee);
      await answerNext(x.c.caller);
    }
    expect([a.d.termReason, b.d.termReason]).toEqual(['API Termination', 'credit expired']);
    for (const x of [a, b]) {
      x.c.caller.close();
      x.c.callee.close();
    }
  });

  it("'Lifetime Timeout' when $DLG_timeout runs out", async () => {
    p.hooks.initial = (ctx) => void ctx.DLG_timeout(1);
    const { c, d } = await tracked();
    await expect.poll(() => d.alive, { timeout: 4000 }).toBe(false);
    expect(d.termReason).toBe('Lifetime Timeout');
    c.caller.close();
    c.callee.close();
  });
});

describe('E_DLG_STATE_CHANGED', () => {
  it('declares and raises the parameters OpenSIPS names', async () => {
    const decl = p.server.events.list().find((e) => e.name === 'E_DLG_STATE_CHANGED');
    expect(decl?.params).toEqual(['hash_entry', 'hash_id', 'callid', 'from_tag', 'to_tag', 'old_state', 'new_state']);
    const { c, d } = await tracked();
    const ev = p.events.find((e) => e['callid'] === c.caller.callId && e['new_state'] === 2);
    expect(ev).toEqual({ hash_entry: d.hEntry, hash_id: d.hId, callid: d.callid, from_tag: d.fromTag, to_tag: d.toTag, old_state: 1, new_state: 2 });
    await hangUp(c, 'caller');
    c.caller.close();
    c.callee.close();
  });
});

describe('dlg_match_mode', () => {
  it('defaults to 0 (DID_ONLY): without a did nothing matches by Call-ID and tags', async () => {
    p.hooks.recordRoute = false;
    const matched: boolean[] = [];
    p.hooks.within = (_ctx, m) => void matched.push(m);
    const { c } = await tracked();
    await c.caller.sendInDialog('INFO');
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(404);
    expect(matched).toEqual([false, false]); // the ACK, the INFO
    c.caller.close();
    c.callee.close();
  });

  it('2 (DID_NONE): no did in Record-Route, in-dialog requests matched by Call-ID and tags', async () => {
    const none = await Proxy.start({ dialog: { dlg_match_mode: 2 } });
    try {
      const matched: number[] = [];
      none.hooks = { flags: '', recordRoute: true, within: (ctx, m) => void matched.push(m ? ctx.DLG_status() : -1) };
      const c = await call(none);
      expect(headerOf(c.invite, 'Record-Route')).not.toMatch(/did=/);
      await c.caller.sendInDialog('BYE');
      await answerNext(c.callee);
      expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
      expect(matched).toEqual([4, 5]); // the ACK, the BYE
      c.caller.close();
      c.callee.close();
    } finally {
      await none.stop();
    }
  });
});
