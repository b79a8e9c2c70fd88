/**
 * A dialog whose INVITE never got a transaction ends with the request (issue 12, item 1): create_dialog()
 * + set_dlg_profile() + sl_send_reply(486) must not leave a state-1 dialog in its profile for
 * default_timeout (12 h), filling a call-limit profile with dead calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Proxy } from './proxy.js';
import { Ua, statusOf } from './sip-ua.js';
import { DLGCB, type Dlg } from '../src/index.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { profiles_no_value: 'calls', profiles_with_value: 'caller' } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: '', recordRoute: true };
});

const size = (name: string) => p.api.getProfileSize(p.api.searchProfile(name)!);

/** An INVITE from a fresh caller; resolves with the caller and the final status it got. */
async function invite(): Promise<{ caller: Ua; status: number }> {
  const caller = await Ua.open(p.port, 'alice');
  await caller.invite('sip:bob@127.0.0.1');
  const r = await caller.nextNon100();
  return { caller, status: statusOf(r.text) };
}

describe('a dialog whose INVITE gets no transaction', () => {
  const cases = [
    { how: 'sl_send_reply(486) then exit', code: 486 },
    { how: 'sl_send_reply(403) then drop', code: 403 },
    { how: 'sl_send_reply(480) then a script error', code: 480 },
  ] as const;
  for (const { how, code } of cases) {
    it(`is destroyed when the request route finishes (${how}): out of its profiles, off dlg_list, DESTROY only`, async () => {
      const seen: { dlg?: Dlg; cbs: number[] } = { cbs: [] };
      p.hooks.initial = (ctx) => {
        expect(ctx.set_dlg_profile('calls')).toBe(1);
        expect(ctx.set_dlg_profile('caller', 'alice')).toBe(1);
        const d = p.api.getDlg(ctx)!;
        seen.dlg = d;
        p.api.registerDlgcb(d, DLGCB.DESTROY | DLGCB.FAILED | DLGCB.TERMINATED | DLGCB.EXPIRED, (_d, type) => void seen.cbs.push(type));
        ctx.sl_send_reply(code, 'No');
        if (code === 403) ctx.drop();
        if (code === 480) throw new Error('the script fails after its reply');
        ctx.exit();
      };
      const { caller, status } = await invite();
      expect(status).toBe(code);
      const callid = caller.callId;
      // At once (the route is over about when the reply is read), not after default_timeout.
      await expect.poll(() => size('calls'), { timeout: 500 }).toBe(0);
      expect(await size('caller')).toBe(0);
      expect(await p.mi('dlg_list', { callid })).toEqual({ Dialogs: [] });
      expect(p.api.lookupDlg(seen.dlg!.hEntry, seen.dlg!.hId)).toBeUndefined();
      expect(seen.dlg!.alive).toBe(false);
      // Never set up: no CREATED (so no per-dialog callbacks of the probe), no state event, no FAILED.
      expect(p.cbTypes(callid)).toEqual([]);
      expect(p.events.filter((e) => e['callid'] === callid)).toEqual([]);
      expect(seen.cbs).toEqual([DLGCB.DESTROY]);
      caller.close();
    });
  }

  it('a dialog created before t_newtran is kept: a stateful 486 fails it the usual way', async () => {
    p.hooks.initial = (ctx) => {
      ctx.set_dlg_profile('calls');
      ctx.t_reply(486, 'Busy Here');
      ctx.exit();
    };
    const { caller, status } = await invite();
    expect(status).toBe(486);
    await expect.poll(() => p.cbTypes(caller.callId)).toContain('DLGCB_FAILED');
    expect(await size('calls')).toBe(0);
    caller.close();
  });
});
