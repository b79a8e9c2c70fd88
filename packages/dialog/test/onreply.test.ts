/**
 * Dialog functions and $DLG_* in onreply_route (issue 12, item 2): tm opens reply contexts without the
 * request's module slots, so the dialog is found through the reply's transaction (tm's getTransaction).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call } from './proxy.js';
import { statusOf } from './sip-ua.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { profiles_no_value: 'answered', profiles_with_value: 'ringing' } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: '', recordRoute: true };
});

const size = (name: string, value?: string) => p.api.getProfileSize(p.api.searchProfile(name)!, value);

describe('onreply_route of a relayed call', () => {
  it('reads $DLG_status / $DLG_did / $dlg_val and sets profiles and values, for the INVITE and in-dialog replies', async () => {
    const seen: unknown[] = [];
    p.hooks.initial = (ctx) => void ctx.store_dlg_value('caller', 'alice');
    p.hooks.onreply = (ctx) => {
      const code = ctx.msg.status;
      seen.push({ code, status: ctx.DLG_status(), did: ctx.DLG_did(), caller: ctx.fetch_dlg_value('caller'), info: ctx.get_dialog_info('caller', 'caller', 'alice') });
      if (code === 180) expect(ctx.set_dlg_profile('ringing', 'bob')).toBe(1);
      if (code === 200 && ctx.msg.cseq.method === 'INVITE' && ctx.DLG_status() !== 4) {
        expect(ctx.store_dlg_value('answered_by', 'bob')).toBe(1);
        expect(ctx.set_dlg_profile('answered')).toBe(1);
        expect(ctx.is_in_profile('ringing', 'bob')).toBe(1);
        expect(ctx.unset_dlg_profile('ringing', 'bob')).toBe(1);
      }
    };
    const c = await call(p);
    const [hEntry, hId] = (seen[0] as { did: string }).did.split(':').map(Number) as [number, number];
    const d = p.api.lookupDlg(hEntry, hId)!;
    expect(d).toBeDefined();
    expect(d.vals?.get('answered_by')).toBe('bob');
    expect(await size('answered')).toBe(1);
    expect(await size('ringing', 'bob')).toBe(0);
    // An in-dialog request's reply: the dialog is known there too.
    await c.caller.sendInDialog('INFO');
    await answerNext(c.callee);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    expect(seen).toEqual([
      { code: 180, status: 1, did: d.id, caller: 'alice', info: 'alice' },
      { code: 200, status: 2, did: d.id, caller: 'alice', info: 'alice' },
      { code: 200, status: 4, did: d.id, caller: 'alice', info: 'alice' },
    ]);
    // Profiles set in onreply_route are left at the end like any other.
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    await c.caller.nextNon100();
    await expect.poll(() => size('answered')).toBe(0);
    c.caller.close();
    c.callee.close();
  });

  it('a reply of a transaction without a dialog reads no dialog there', async () => {
    p.hooks.flags = null;
    const seen: number[] = [];
    p.hooks.onreply = (ctx) => void seen.push(ctx.DLG_status(), ctx.set_dlg_profile('answered'));
    const c = await call(p);
    expect(seen).toEqual([-1, -1, -1, -1]);
    c.caller.close();
    c.callee.close();
  });
});
