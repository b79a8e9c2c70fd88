/**
 * delete_delay (issue 12, item 4): how long a dialog ended by a BYE stays in memory, deleted, after the BYE's
 * transaction is over (or after the BYE's request route when it got none) — before, a hard-coded 5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call } from './proxy.js';
import { statusOf } from './sip-ua.js';
import { DLGCB, type Dlg } from '../src/index.js';

let slow: Proxy;
let fast: Proxy;
beforeAll(async () => {
  slow = await Proxy.start({ dialog: { delete_delay: 1 } });
  fast = await Proxy.start({ dialog: { delete_delay: 0 } });
});
afterAll(async () => {
  await slow.stop();
  await fast.stop();
});

/** A call through `p` whose dialog records when it is destroyed. */
async function tracked(p: Proxy) {
  p.hooks = { flags: '', recordRoute: true };
  const t: { d?: Dlg; destroyedAt: number } = { destroyedAt: 0 };
  p.hooks.initial = (ctx) => {
    t.d = p.api.getDlg(ctx)!;
    p.api.registerDlgcb(t.d, DLGCB.DESTROY, () => void (t.destroyedAt = Date.now()));
  };
  const c = await call(p);
  return { c, t };
}

describe('delete_delay', () => {
  it('keeps a BYE-ended dialog (state 5) that long after its BYE transaction, so late requests still match', async () => {
    const { c, t } = await tracked(slow);
    const statuses: number[] = [];
    slow.hooks.within = (ctx, matched) => void statuses.push(matched ? ctx.DLG_status() : -1);
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    const byeAt = Date.now();
    // A late BYE (a new transaction) still finds the deleted dialog.
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    await c.caller.nextNon100();
    expect(statuses.slice(-2)).toEqual([5, 5]);
    await expect.poll(() => t.destroyedAt, { timeout: 4000 }).toBeGreaterThan(0);
    // The first BYE's transaction ends after wt_timer (0.2 s), then 1 s of delete_delay.
    expect(t.destroyedAt - byeAt).toBeGreaterThanOrEqual(950);
    expect(await slow.mi('dlg_list', { callid: c.caller.callId })).toEqual({ Dialogs: [] });
    c.caller.close();
    c.callee.close();
  });

  it('0: a BYE answered statelessly drops the dialog when its route ends (not 5 s later)', async () => {
    const { c, t } = await tracked(fast);
    fast.hooks.within = (ctx) => {
      if (!ctx.is_method('BYE')) return;
      ctx.sl_send_reply(200, 'OK');
      ctx.exit();
    };
    await c.caller.sendInDialog('BYE');
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    await expect.poll(() => t.destroyedAt, { timeout: 500 }).toBeGreaterThan(0);
    expect(t.d!.termReason).toBe('Downstream BYE');
    expect(await fast.mi('dlg_list', { callid: c.caller.callId })).toEqual({ Dialogs: [] });
    c.caller.close();
    c.callee.close();
  });

  it('1: a BYE answered statelessly keeps the dialog for delete_delay', async () => {
    const { c, t } = await tracked(slow);
    slow.hooks.within = (ctx) => {
      if (!ctx.is_method('BYE')) return;
      ctx.sl_send_reply(200, 'OK');
      ctx.exit();
    };
    await c.caller.sendInDialog('BYE');
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    const byeAt = Date.now();
    await expect.poll(() => t.destroyedAt, { timeout: 4000 }).toBeGreaterThan(0);
    expect(t.destroyedAt - byeAt).toBeGreaterThanOrEqual(900);
    c.caller.close();
    c.callee.close();
  });
});
