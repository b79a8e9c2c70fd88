/**
 * MI commands and script functions added for OpenSIPS parity (issue 12, item 4): list_all_profiles,
 * profile_get_values, profile_end_dlgs, set_dlg_profile / unset_dlg_profile, dlg_push_var, and the
 * get_dialog_info / get_dialog_vals script functions — over real calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MiError } from '@core/sip';
import { Proxy, answerNext, call, type Call } from './proxy.js';
import { Ua, methodOf } from './sip-ua.js';
import type { Dlg } from '../src/index.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { profiles_with_value: 'caller; trunk', profiles_no_value: 'total' } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: '', recordRoute: true };
});

async function tracked(caller?: string): Promise<{ c: Call; d: Dlg }> {
  let d: Dlg | undefined;
  p.hooks.initial = (ctx) => {
    d = p.api.getDlg(ctx);
    ctx.set_dlg_profile('total');
    if (caller !== undefined) {
      ctx.set_dlg_profile('caller', caller);
      ctx.store_dlg_value('caller', caller);
    }
  };
  const c = await call(p);
  return { c, d: d! };
}

function close(...calls: { c: Call }[]): void {
  for (const x of calls) {
    x.c.caller.close();
    x.c.callee.close();
  }
}

describe('profile MI commands', () => {
  it('list_all_profiles: every profile with 1 (has values) or 0', async () => {
    expect(await p.mi('list_all_profiles')).toEqual({ caller: '1', trunk: '1', total: '0' });
  });

  it('profile_get_values counts per value; profile_end_dlgs ends the dialogs of one value, or all', async () => {
    const a1 = await tracked('alice');
    const a2 = await tracked('alice');
    const b = await tracked('bob');
    expect(await p.mi('profile_get_values', { profile: 'caller' })).toEqual({
      Values: [
        { value: 'alice', count: 2 },
        { value: 'bob', count: 1 },
      ],
    });
    expect(await p.mi('profile_get_values', { profile: 'total' })).toEqual({ Values: [{ value: null, count: 3 }] });
    await expect(p.mi('profile_get_values', { profile: 'nope' })).rejects.toThrow(MiError);
    // End alice's calls only: BYE to both sides of each, with the MI reason.
    expect(await p.mi('profile_end_dlgs', { profile: 'caller', value: 'alice' })).toBe('OK');
    for (const x of [a1, a2]) {
      expect(methodOf(await answerNext(x.c.callee))).toBe('BYE');
      expect(methodOf(await answerNext(x.c.caller))).toBe('BYE');
      expect(x.d.termReason).toBe('MI Termination');
    }
    expect(b.d.alive).toBe(true);
    expect(await p.mi('profile_get_values', { profile: 'caller' })).toEqual({ Values: [{ value: 'bob', count: 1 }] });
    expect(await p.mi('profile_end_dlgs', { profile: 'total' })).toBe('OK');
    await answerNext(b.c.callee);
    await answerNext(b.c.caller);
    expect(b.d.alive).toBe(false);
    expect(await p.mi('profile_get_size', { profile: 'total' })).toEqual({ Profile: { name: 'total', value: null, count: 0 } });
    close(a1, a2, b);
  });

  it('set_dlg_profile / unset_dlg_profile put a dialog (by its DID) in and out of a profile', async () => {
    const x = await tracked();
    const trunk = p.api.searchProfile('trunk')!;
    expect(await p.mi('set_dlg_profile', { DID: String(x.d.dbId), profile: 'trunk', value: 'gw1' })).toBe('OK');
    expect(await p.api.getProfileSize(trunk, 'gw1')).toBe(1);
    await expect(p.mi('set_dlg_profile', { DID: x.d.id, profile: 'trunk' })).rejects.toThrow(/needs a value/);
    await expect(p.mi('set_dlg_profile', { DID: 'no-such-call', profile: 'trunk', value: 'x' })).rejects.toThrow(/Dialog not found/);
    expect(await p.mi('unset_dlg_profile', { DID: x.d.callid, profile: 'trunk', value: 'gw1' })).toBe('OK');
    expect(await p.api.getProfileSize(trunk)).toBe(0);
    await expect(p.mi('unset_dlg_profile', { DID: x.d.id, profile: 'trunk' })).rejects.toThrow(/not in profile/);
    await p.mi('dlg_end_dlg', { dialog_id: x.d.id });
    await answerNext(x.c.callee);
    await answerNext(x.c.caller);
    close(x);
  });
});

describe('dialog values from MI and from other dialogs', () => {
  it('dlg_push_var stores a $dlg_val the script then reads; get_dialog_info and get_dialog_vals read other dialogs', async () => {
    const alice = await tracked('alice');
    expect(await p.mi('dlg_push_var', { dlg_val_name: 'credit', dlg_val_value: '42', DID: alice.d.id })).toBe('OK');
    await expect(p.mi('dlg_push_var', { dlg_val_name: 'credit', dlg_val_value: '1', DID: '999:999' })).rejects.toThrow(/Dialog not found/);
    // A second call from alice looks at her first one from its own request route.
    const got: unknown[] = [];
    p.hooks.initial = (ctx) => {
      got.push(ctx.get_dialog_info('credit', 'caller', 'alice'), ctx.get_dialog_info('credit', 'caller', 'carol'));
      got.push(ctx.get_dialog_vals('names', 'vals', alice.d.callid), ctx.avps('names'), ctx.avps('vals'));
      got.push(ctx.get_dialog_vals('names', 'vals', 'no-such-call'));
      ctx.sl_send_reply(486, 'Busy Here');
      ctx.exit();
    };
    const second = await Ua.open(p.port, 'alice');
    await second.invite('sip:bob@127.0.0.1');
    expect((await second.nextNon100()).text.startsWith('SIP/2.0 486')).toBe(true);
    expect(got).toEqual(['42', undefined, 1, ['caller', 'credit'], ['alice', '42'], -1]);
    second.close();
    await p.mi('dlg_end_dlg', { dialog_id: alice.d.id });
    await answerNext(alice.c.callee);
    await answerNext(alice.c.caller);
    close(alice);
  });
});
