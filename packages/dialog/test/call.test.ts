/** Dialog tracking over real SIP: a proxy (tm + rr + dialog) between a caller and a callee on UDP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call } from './proxy.js';
import { Ua, cseqOf, headerOf, headersOf, methodOf, statusOf, tagOf } from './sip-ua.js';
import { DLG_DIR } from '../src/index.js';
import { rowOf } from '../src/db.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { profiles_with_value: 'caller', profiles_no_value: 'calls', dlg_match_mode: 1 } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: '', recordRoute: true };
});

const statesOf = (callid: string) => p.events.filter((e) => e['callid'] === callid).map((e) => e['new_state']);

describe('dialog states over a call', () => {
  it('goes unconfirmed → early → confirmed-no-ack → confirmed → deleted, with did in Record-Route', async () => {
    const seen: Record<string, unknown>[] = [];
    p.hooks.initial = (ctx) => void seen.push({ status: ctx.DLG_status(), id: ctx.DLG_id() });
    p.hooks.within = (ctx) => void seen.push({ m: ctx.msg.method, status: ctx.DLG_status(), dir: ctx.DLG_dir(), lifetime: ctx.DLG_lifetime() });
    const processed = p.stat('processed_dialogs');
    const c = await call(p, { noAck: true });
    const callid = c.caller.callId;
    expect(headerOf(c.invite, 'Record-Route')).toMatch(/;did=[0-9a-f]+\.[0-9a-f]+/);
    expect(seen[0]).toEqual({ status: 1, id: expect.stringMatching(/^\d+:\d+$/) });
    expect(statesOf(callid)).toEqual([2, 3]);
    expect(p.stat('processed_dialogs')).toBe(processed + 1);
    expect(p.stat('active_dialogs')).toBe(1);
    await c.caller.sendInDialog('ACK');
    expect(methodOf((await c.callee.next()).text)).toBe('ACK');
    await expect.poll(() => statesOf(callid)).toEqual([2, 3, 4]);
    // A re-INVITE from the callee: upstream, CSeq tracked.
    c.callee.cseq = 10;
    const reinv = await c.callee.sendInDialog('INVITE');
    expect(headerOf(reinv, 'CSeq')).toBe('11 INVITE');
    const got = (await c.caller.nextNon100()).text;
    expect(methodOf(got)).toBe('INVITE');
    await c.caller.reply(got, 200, 'OK');
    expect(statusOf((await c.callee.nextNon100()).text)).toBe(200);
    // BYE from the caller ends it.
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    await expect.poll(() => statesOf(callid)).toEqual([2, 3, 4, 5]);
    const life = expect.any(Number);
    expect(seen.slice(1)).toEqual([
      { m: 'ACK', status: 4, dir: 'downstream', lifetime: life },
      { m: 'INVITE', status: 4, dir: 'upstream', lifetime: life },
      { m: 'BYE', status: 5, dir: 'downstream', lifetime: life },
    ]);
    expect(p.stat('active_dialogs')).toBe(0);
    expect(p.stat('early_dialogs')).toBe(0);
    // Deleted, but listed until the BYE's transaction is over (then destroyed).
    await expect.poll(() => p.mi('dlg_list', { callid })).toEqual({ Dialogs: [] });
    // Every callback type of a call, in order, each with its message and direction.
    const cbs = p.cbs.filter((x) => x.callid === callid);
    expect(cbs.map((x) => [x.type, x.msg, x.direction])).toEqual([
      ['DLGCB_CREATED', 'INVITE', DLG_DIR.DOWNSTREAM],
      ['DLGCB_RESPONSE_FWDED', '180', DLG_DIR.UPSTREAM],
      ['DLGCB_EARLY', '180', DLG_DIR.UPSTREAM],
      ['DLGCB_RESPONSE_FWDED', '200', DLG_DIR.UPSTREAM],
      ['DLGCB_CONFIRMED', '200', DLG_DIR.UPSTREAM],
      ['DLGCB_REQ_WITHIN', 'ACK', DLG_DIR.DOWNSTREAM],
      ['DLGCB_REQ_WITHIN', 'INVITE', DLG_DIR.UPSTREAM],
      ['DLGCB_RESPONSE_WITHIN', '200', DLG_DIR.UPSTREAM],
      ['DLGCB_REQ_WITHIN', 'BYE', DLG_DIR.DOWNSTREAM],
      ['DLGCB_TERMINATED', 'BYE', DLG_DIR.DOWNSTREAM],
      // The 200 to the BYE is relayed while the dialog is kept in the deleted state.
      ['DLGCB_RESPONSE_WITHIN', '200', DLG_DIR.DOWNSTREAM],
      ['DLGCB_DESTROY', undefined, DLG_DIR.NONE],
      ['FREE', undefined, 0],
    ]);
    expect(cbs.find((x) => x.type === 'DLGCB_CREATED')?.param).toBe('created-param');
    expect(cbs.find((x) => x.type === 'DLGCB_CONFIRMED')?.param).toBe('per-dialog-param');
    expect(cbs.find((x) => x.type === 'FREE')?.param).toBe('per-dialog-param');
    c.caller.close();
    c.callee.close();
  });

  it('fails on a negative final reply (FAILED, failed_dialogs, state 5)', async () => {
    const failed = p.stat('failed_dialogs');
    const c = await call(p, { answer: 486 });
    const callid = c.caller.callId;
    await expect.poll(() => statesOf(callid)).toEqual([2, 5]);
    expect(p.stat('failed_dialogs')).toBe(failed + 1);
    expect(p.cbTypes(callid)).toContain('DLGCB_FAILED');
    expect(p.cbTypes(callid)).not.toContain('DLGCB_CONFIRMED');
    expect(p.stat('early_dialogs')).toBe(0);
    c.caller.close();
    c.callee.close();
  });

  it('fails when the caller CANCELs while ringing', async () => {
    const caller = await Ua.open(p.port, 'alice');
    const callee = await Ua.open(p.port, 'bob');
    p.calleePort = callee.port;
    const inv = await caller.invite('sip:bob@127.0.0.1');
    const got = (await callee.nextNon100()).text;
    await callee.reply(got, 180, 'Ringing');
    expect(statusOf((await caller.nextNon100()).text)).toBe(180);
    const cancel = inv.replace(/^INVITE /, 'CANCEL ').replace(/CSeq: 1 INVITE/, 'CSeq: 1 CANCEL');
    await caller.send(cancel);
    // The callee gets the CANCEL, answers it and 487s the INVITE.
    for (;;) {
      const r = (await callee.nextNon100()).text;
      if (methodOf(r) === 'CANCEL') {
        await callee.reply(r, 200, 'OK');
        await callee.reply(got, 487, 'Request Terminated');
        break;
      }
    }
    await expect.poll(() => statesOf(caller.callId)).toEqual([2, 5]);
    expect(p.cbTypes(caller.callId)).toContain('DLGCB_FAILED');
    caller.close();
    callee.close();
  });
});

describe('in-dialog matching', () => {
  it('matches by Call-ID and tags when there is no did (no Record-Route): match_dialog', async () => {
    p.hooks.recordRoute = false;
    const matched: boolean[] = [];
    p.hooks.within = (_ctx, m) => void matched.push(m);
    const c = await call(p);
    expect(headersOf(c.invite, 'Record-Route')).toEqual([]);
    // Without a route set, the caller sends to the callee's contact directly: send it to the proxy instead.
    c.caller.remoteTarget = `sip:bob@127.0.0.1:${c.callee.port}`;
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    await expect.poll(() => statesOf(c.caller.callId).at(-1)).toBe(5);
    expect(matched).toEqual([true, true]);
    c.caller.close();
    c.callee.close();
  });

  it("does not match a request whose tags are not the dialog's, even with a valid did", async () => {
    const ids: string[] = [];
    p.hooks.within = (ctx) => void ids.push(ctx.DLG_id());
    const c = await call(p);
    const realTag = c.caller.localTag;
    c.caller.localTag = 'forged';
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee, 481);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(481);
    expect(ids.at(-1)).toBe('');
    expect(statesOf(c.caller.callId)).toEqual([2, 3, 4]);
    c.caller.localTag = realTag;
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    expect(ids.at(-1)).toMatch(/^\d+:\d+$/);
    await expect.poll(() => statesOf(c.caller.callId).at(-1)).toBe(5);
    c.caller.close();
    c.callee.close();
  });
});

describe('values, flags and the $DLG variables', () => {
  it('stores values and flags on the initial INVITE and reads them in-dialog', async () => {
    const read: unknown[] = [];
    p.hooks.initial = (ctx) => {
      ctx.store_dlg_value('k', 'v1');
      ctx.set_dlg_flag(3);
      read.push(ctx.test_and_set_dlg_flag(4, 0), ctx.test_and_set_dlg_flag(4, 0), ctx.DLG_flags());
    };
    p.hooks.within = (ctx) => {
      read.push(ctx.fetch_dlg_value('k'), ctx.fetch_dlg_value('nope'), ctx.is_dlg_flag_set(3), ctx.is_dlg_flag_set(5));
      ctx.reset_dlg_flag(3);
      read.push(ctx.DLG_flags(), ctx.DLG_timeout());
    };
    const c = await call(p);
    expect(read).toEqual([1, -1, 0b11000, 'v1', undefined, 1, -1, 0b10000, 43200]);
    const d = p.api.lookupDlg(...idOf(await p.mi('dlg_list', { callid: c.caller.callId })));
    expect(d && p.api.fetchDlgValue(d, 'k')).toBe('v1');
    const ctxList = (await p.mi('dlg_list_ctx', { callid: c.caller.callId })) as { Dialogs: { context: Record<string, unknown> }[] };
    expect(ctxList.Dialogs[0]?.context).toEqual({ values: { k: 'v1' }, probe: 'here' });
    expect(p.cbTypes(c.caller.callId)).toContain('DLGCB_MI_CONTEXT');
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    c.caller.close();
    c.callee.close();
  });
});

function idOf(list: unknown): [number, number] {
  const d = (list as { Dialogs: { h_entry: number; h_id: number }[] }).Dialogs[0];
  if (d === undefined) throw new Error('no dialog listed');
  return [d.h_entry, d.h_id];
}

describe('termination', () => {
  it('dlg_end_dlg sends BYE to both sides in the dialog (tags swapped, CSeq + 1, Reason) and ends it', async () => {
    const c = await call(p);
    const list = (await p.mi('dlg_list', { callid: c.caller.callId })) as { Dialogs: { ID: number }[] };
    const id = list.Dialogs[0]!.ID;
    await p.mi('dlg_end_dlg', { dialog_id: String(id) });
    const toCallee = await answerNext(c.callee);
    const toCaller = await answerNext(c.caller);
    expect(methodOf(toCallee)).toBe('BYE');
    expect(methodOf(toCaller)).toBe('BYE');
    expect(toCallee.split('\r\n')[0]).toBe(`BYE ${c.callee.contact} SIP/2.0`);
    expect(toCaller.split('\r\n')[0]).toBe(`BYE ${c.caller.contact} SIP/2.0`);
    expect(tagOf(headerOf(toCallee, 'From'))).toBe(c.caller.localTag);
    expect(tagOf(headerOf(toCallee, 'To'))).toBe(c.callee.localTag);
    expect(tagOf(headerOf(toCaller, 'From'))).toBe(c.callee.localTag);
    expect(tagOf(headerOf(toCaller, 'To'))).toBe(c.caller.localTag);
    expect(cseqOf(toCallee)).toBe(2);
    expect(headerOf(toCallee, 'Call-ID')).toBe(c.caller.callId);
    expect(headerOf(toCallee, 'Reason')).toContain('MI Termination');
    await expect.poll(() => statesOf(c.caller.callId).at(-1)).toBe(5);
    const types = p.cbTypes(c.caller.callId);
    expect(types).toContain('DLGCB_TERMINATED');
    expect(p.cbs.find((x) => x.callid === c.caller.callId && x.type === 'DLGCB_TERMINATED')?.dlgData).toBe('MI Termination');
    await expect(p.mi('dlg_end_dlg', { dialog_id: String(id) })).rejects.toThrow(/Dialog not found/);
    c.caller.close();
    c.callee.close();
  });

  it('terminateDlg (API) by h_entry/h_id, and -1 for an unknown dialog', async () => {
    const c = await call(p);
    const [e, i] = idOf(await p.mi('dlg_list', { callid: c.caller.callId }));
    expect(p.api.terminateDlg(e, i, 'api says bye')).toBe(0);
    expect(methodOf(await answerNext(c.callee))).toBe('BYE');
    expect(methodOf(await answerNext(c.caller))).toBe('BYE');
    expect(p.api.terminateDlg(e, i, 'again')).toBe(-1);
    c.caller.close();
    c.callee.close();
  });
});

describe('timeout', () => {
  it('with B: EXPIRED, expired_dialogs, BYE to both sides after $DLG_timeout', async () => {
    p.hooks.flags = 'B';
    p.hooks.initial = (ctx) => void ctx.DLG_timeout(1);
    const expired = p.stat('expired_dialogs');
    const t0 = Date.now();
    const c = await call(p);
    expect(methodOf(await answerNext(c.callee, 200, 4000))).toBe('BYE');
    expect(methodOf(await answerNext(c.caller, 200, 4000))).toBe('BYE');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(p.stat('expired_dialogs')).toBe(expired + 1);
    expect(p.cbTypes(c.caller.callId)).toContain('DLGCB_EXPIRED');
    await expect.poll(() => statesOf(c.caller.callId).at(-1)).toBe(5);
    c.caller.close();
    c.callee.close();
  });

  it('without B: the dialog is dropped silently', async () => {
    p.hooks.initial = (ctx) => void ctx.DLG_timeout(1);
    const c = await call(p);
    await expect.poll(() => statesOf(c.caller.callId).at(-1), { timeout: 3000 }).toBe(5);
    // Nothing went to either side: a BYE the caller sends now is the first thing the callee gets (relayed,
    // so two Vias, the caller's last), and its 200 the first thing the caller gets.
    const bye = await c.caller.sendInDialog('BYE');
    const got = await answerNext(c.callee);
    expect(got.split('\r\n')[0]).toBe(bye.split('\r\n')[0]);
    expect(headerOf(got, 'CSeq')).toBe(headerOf(bye, 'CSeq'));
    expect(headersOf(got, 'Via')).toHaveLength(2);
    expect(headersOf(got, 'Via')[1]?.startsWith(headersOf(bye, 'Via')[0]!)).toBe(true); // with rport/received filled in
    const ok = (await c.caller.nextNon100()).text;
    expect([statusOf(ok), headerOf(ok, 'CSeq')]).toEqual([200, headerOf(bye, 'CSeq')]);
    c.caller.close();
    c.callee.close();
  });
});

describe('profiles from the script and MI', () => {
  it('set/unset/is_in/get_profile_size, profile_get_size and profile_list_dlgs, emptied when the call ends', async () => {
    const out: unknown[] = [];
    p.hooks.initial = async (ctx) => {
      ctx.set_dlg_profile('caller', 'alice');
      ctx.set_dlg_profile('calls');
      out.push(ctx.is_in_profile('caller', 'alice'), ctx.is_in_profile('caller', 'bob'), await ctx.get_profile_size('caller', 'alice'));
    };
    const c1 = await call(p);
    const c2 = await call(p);
    expect(out).toEqual([1, -1, 1, 1, -1, 2]);
    expect(await p.mi('profile_get_size', { profile: 'caller', value: 'alice' })).toEqual({ Profile: { name: 'caller', value: 'alice', count: 2 } });
    expect(await p.mi('profile_get_size', { profile: 'calls' })).toEqual({ Profile: { name: 'calls', value: null, count: 2 } });
    const listed = (await p.mi('profile_list_dlgs', { profile: 'caller', value: 'alice' })) as { Dialogs: { callid: string }[] };
    expect(listed.Dialogs.map((d) => d.callid).sort()).toEqual([c1.caller.callId, c2.caller.callId].sort());
    await expect(p.mi('profile_get_size', { profile: 'nope' })).rejects.toThrow(/Profile not found/);
    for (const c of [c1, c2]) {
      await c.caller.sendInDialog('BYE');
      await answerNext(c.callee);
      await c.caller.nextNon100();
    }
    expect(await p.mi('profile_get_size', { profile: 'calls' })).toEqual({ Profile: { name: 'calls', value: null, count: 0 } });
    for (const c of [c1, c2]) {
      c.caller.close();
      c.callee.close();
    }
  });
});

describe('$DLG_count', () => {
  it('counts the dialogs not ended: the new one on its INVITE, no longer once its BYE passed', async () => {
    const counts: number[] = [];
    p.hooks.initial = (ctx) => void counts.push(ctx.DLG_count());
    p.hooks.within = (ctx) => void (ctx.msg.method === 'BYE' && counts.push(ctx.DLG_count()));
    const c = await call(p);
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    expect(counts).toHaveLength(2);
    expect(counts[1]).toBe(counts[0]! - 1);
    expect(counts[0]).toBeGreaterThanOrEqual(1);
    c.caller.close();
    c.callee.close();
  });
});

describe('dlg_list paging', () => {
  it('lists one page of the dialogs with index and counter, with the total count', async () => {
    const calls = [await call(p), await call(p), await call(p)];
    const all = ((await p.mi('dlg_list')) as { Dialogs: { callid: string }[] }).Dialogs.map((d) => d.callid);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const page = (index?: number, counter?: number) =>
      p.mi('dlg_list', { ...(index === undefined ? {} : { index }), ...(counter === undefined ? {} : { counter }) }) as Promise<{
        count: number;
        Dialogs: { callid: string }[];
      }>;
    const p1 = await page(0, 2);
    expect(p1.count).toBe(all.length);
    expect(p1.Dialogs.map((d) => d.callid)).toEqual(all.slice(0, 2));
    expect((await page(1, 2)).Dialogs.map((d) => d.callid)).toEqual(all.slice(1, 3));
    expect((await page(all.length - 1)).Dialogs.map((d) => d.callid)).toEqual(all.slice(-1));
    expect((await page(all.length + 5, 10)).Dialogs).toEqual([]);
    // From the CLI the numbers come as strings.
    expect(((await p.mi('dlg_list_ctx', { index: '0', counter: '1' })) as { Dialogs: unknown[] }).Dialogs).toHaveLength(1);
    await expect(p.mi('dlg_list', { index: -1 })).rejects.toThrow(/index must be a non-negative integer/);
    await expect(p.mi('dlg_list', { callid: 'x', index: 0 })).rejects.toThrow(/either callid/);
    for (const c of calls) {
      await c.caller.sendInDialog('BYE');
      await answerNext(c.callee);
      c.caller.close();
      c.callee.close();
    }
  });
});

describe('mangled From / To', () => {
  it('keeps the From / To the script relayed (mangled_*_uri) and uses them towards the callee', async () => {
    p.hooks.initial = (ctx) => {
      ctx.ops.push({ kind: 'replace', name: 'From', value: `"Anon" <sip:anonymous@anonymous.invalid>;tag=${ctx.msg.from.tag ?? ''}` });
      ctx.ops.push({ kind: 'replace', name: 'To', value: '<sip:+15550100@gw.example>' });
    };
    const c = await call(p);
    expect(headerOf(c.invite, 'From')).toContain('sip:anonymous@anonymous.invalid');
    const [e, i] = idOf(await p.mi('dlg_list', { callid: c.caller.callId }));
    const d = p.api.lookupDlg(e, i)!;
    const row = rowOf(d);
    expect([row['mangled_from_uri'], row['mangled_to_uri']]).toEqual(['sip:anonymous@anonymous.invalid', 'sip:+15550100@gw.example']);
    expect(row['from_uri']).toBe(c.caller.localUri);
    p.api.terminateDlg(e, i, 'done');
    const toCallee = await answerNext(c.callee);
    const toCaller = await answerNext(c.caller);
    expect(headerOf(toCallee, 'From')).toContain('<sip:anonymous@anonymous.invalid>');
    expect(headerOf(toCallee, 'To')).toContain('<sip:+15550100@gw.example>');
    expect(headerOf(toCaller, 'To')).toContain(`<${c.caller.localUri}>`);
    expect(headerOf(toCaller, 'From')).toContain('<sip:bob@127.0.0.1>');
    c.caller.close();
    c.callee.close();
  });

  it('writes NULL when the script left them alone', async () => {
    const c = await call(p);
    const [e, i] = idOf(await p.mi('dlg_list', { callid: c.caller.callId }));
    const row = rowOf(p.api.lookupDlg(e, i)!);
    expect([row['mangled_from_uri'], row['mangled_to_uri']]).toEqual([null, null]);
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    c.caller.close();
    c.callee.close();
  });
});
