/** The dlg_binds API, called the way another module would, on real calls; plus shared profiles over Redis. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteContext } from '@core/sip';
import cachedbRedis from '@mod/cachedb-redis';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { Proxy, answerNext, call } from './proxy.js';
import { methodOf, statusOf } from './sip-ua.js';
import { DLGCB, DLG_FLAG, type Dlg } from '../src/index.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ dialog: { profiles_with_value: 'gw' } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: null, recordRoute: true };
});

describe('dlg_binds', () => {
  it('createDlg/getDlg, store/fetch values, profiles, E_DLG_STATE_CHANGED params', async () => {
    const api = p.api;
    expect(api.addProfiles('api_prof; api_shared/s', true)).toBe(0);
    expect(api.addProfiles('bad name', false)).toBe(-1);
    const prof = api.searchProfile('api_prof')!;
    expect(prof.name).toBe('api_prof');
    expect(api.searchProfile('nope')).toBeUndefined();
    let created: Dlg | undefined;
    p.hooks.initial = async (ctx) => {
      expect(api.getDlg(ctx)).toBeUndefined();
      expect(api.createDlg(ctx, DLG_FLAG.BYEONTIMEOUT)).toBe(0);
      created = api.getDlg(ctx);
      expect(api.storeDlgValue(created!, 'x', '1')).toBe(0);
      expect(api.storeDlgValue(created!, 'x', '2')).toBe(0);
      expect(api.setProfile(ctx, 'v1', prof)).toBe(0);
      expect(api.setProfile(ctx, 'v2', prof)).toBe(0);
      expect(await api.getProfileSize(prof)).toBe(2);
      expect(api.unsetProfile(ctx, 'v2', prof)).toBe(0);
      expect(api.unsetProfile(ctx, 'v2', prof)).toBe(-1);
      expect(await api.getProfileSize(prof, 'v1')).toBe(1);
    };
    const c = await call(p);
    expect(created!.flags & DLG_FLAG.BYEONTIMEOUT).toBeTruthy();
    expect(api.fetchDlgValue(created!, 'x')).toBe('2');
    expect(api.fetchDlgValue(created!, 'y')).toBeUndefined();
    const ev = p.events.find((e) => e['callid'] === c.caller.callId && e['new_state'] === 3);
    expect(ev).toEqual({
      hash_entry: created!.hEntry,
      hash_id: created!.hId,
      callid: c.caller.callId,
      from_tag: c.caller.localTag,
      to_tag: c.callee.localTag,
      old_state: 2,
      new_state: 3,
    });
    // A per-dialog callback registered through the API, and the rules of register_dlgcb.
    const got: number[] = [];
    expect(api.registerDlgcb(created!, DLGCB.TERMINATED | DLGCB.DESTROY, (_d, t) => void got.push(t))).toBe(0);
    expect(api.registerDlgcb(created!, DLGCB.CREATED, () => undefined)).toBe(-1);
    expect(api.registerDlgcb(null, DLGCB.CONFIRMED, () => undefined)).toBe(-1);
    expect(api.registerDlgcb(null, DLGCB.CREATED | DLGCB.LOADED, () => undefined)).toBe(-1);
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    await expect.poll(() => got).toEqual([DLGCB.TERMINATED, DLGCB.DESTROY]);
    expect(await api.getProfileSize(prof)).toBe(0);
    c.caller.close();
    c.callee.close();
  });

  it('matchDialog, validateDialog and fixRouteDialog on in-dialog requests', async () => {
    const api = p.api;
    p.hooks.flags = '';
    const results: unknown[] = [];
    let mode: 'check' | 'fix' = 'check';
    p.hooks.within = (ctx: RouteContext) => {
      const d = api.getDlg(ctx);
      results.push(api.matchDialog(ctx), d === undefined ? -1 : api.validateDialog(ctx, d));
      if (mode === 'fix' && d !== undefined) results.push(api.fixRouteDialog(ctx, d), ctx.$ru);
    };
    const c = await call(p);
    results.length = 0; // the ACK
    // A good re-INVITE validates.
    await c.caller.sendInDialog('INFO');
    await answerNext(c.callee);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    expect(results).toEqual([1, 1]);
    // A CSeq that did not grow.
    results.length = 0;
    c.caller.cseq -= 1;
    await c.caller.sendInDialog('INFO');
    await answerNext(c.callee);
    await c.caller.nextNon100();
    expect(results).toEqual([1, -1]);
    // A wrong R-URI: invalid, then fixed by fix_route_dialog (the callee still gets it at its contact).
    results.length = 0;
    mode = 'fix';
    c.caller.cseq += 5;
    const good = c.caller.remoteTarget;
    c.caller.remoteTarget = `sip:someone-else@127.0.0.1:${c.callee.port}`;
    await c.caller.sendInDialog('INFO');
    const got = await answerNext(c.callee);
    expect(got.split('\r\n')[0]).toBe(`INFO ${good} SIP/2.0`);
    await c.caller.nextNon100();
    expect(results).toEqual([1, -2, 1, good]);
    c.caller.remoteTarget = good;
    mode = 'check';
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    c.caller.close();
    c.callee.close();
  });

  it('terminates a dialog in setup with CANCEL (the 487 fails it)', async () => {
    p.hooks.flags = '';
    let dlg: Dlg | undefined;
    p.hooks.initial = (ctx) => void (dlg = p.api.getDlg(ctx));
    const { Ua } = await import('./sip-ua.js');
    const caller = await Ua.open(p.port, 'alice');
    const callee = await Ua.open(p.port, 'bob');
    p.calleePort = callee.port;
    await caller.invite('sip:bob@127.0.0.1');
    const inv = (await callee.nextNon100()).text;
    await callee.reply(inv, 180, 'Ringing');
    await caller.nextNon100();
    expect(p.api.terminateDlg(dlg!.hEntry, dlg!.hId, 'stop ringing')).toBe(0);
    const cancel = (await callee.nextNon100()).text;
    expect(methodOf(cancel)).toBe('CANCEL');
    await callee.reply(cancel, 200, 'OK');
    await callee.reply(inv, 487, 'Request Terminated');
    expect(statusOf((await caller.nextNon100()).text)).toBe(487);
    await expect.poll(() => p.cbTypes(caller.callId)).toContain('DLGCB_FAILED');
    caller.close();
    callee.close();
  });
});

describe('shared profiles across two servers over Redis', () => {
  let redis: RedisServer;
  let a: Proxy;
  let b: Proxy;
  beforeAll(async () => {
    redis = await startRedis();
    const mp = (node: string) => ({
      dialog: { profiles_with_value: 'trunk/s', cachedb_url: redis.url, profile_node_id: node, profile_refresh_interval: 0.5 },
      cachedb_redis: {},
    });
    a = await Proxy.start(mp('A'), [cachedbRedis]);
    b = await Proxy.start(mp('B'), [cachedbRedis]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('counts the calls of both servers, and forgets them when they end', async () => {
    const sizes: number[] = [];
    for (const s of [a, b]) {
      s.hooks = {
        flags: '',
        recordRoute: true,
        initial: async (ctx) => {
          ctx.set_dlg_profile('trunk', 'gw1');
          sizes.push(await ctx.get_profile_size('trunk', 'gw1'));
        },
      };
    }
    const count = async (s: Proxy, value?: string) =>
      ((await s.mi('profile_get_size', value === undefined ? { profile: 'trunk' } : { profile: 'trunk', value })) as { Profile: { count: number } }).Profile.count;
    // Each call starts once the other server sees the calls before it, so each counts the ones before it.
    const c1 = await call(a);
    await expect.poll(() => count(b, 'gw1')).toBe(1);
    const c2 = await call(b);
    await expect.poll(() => count(a, 'gw1')).toBe(2);
    const c3 = await call(a);
    expect(sizes).toEqual([1, 2, 3]);
    await expect.poll(() => count(b, 'gw1')).toBe(3);
    // Each server counts only its own calls as active: a has c1 and c3, b has c2.
    const active = new Map([
      [a, 2],
      [b, 1],
    ]);
    for (const [s, n] of active) expect(s.stat('active_dialogs')).toBe(n);
    for (const [s, c] of [
      [a, c1],
      [b, c2],
      [a, c3],
    ] as const) {
      await c.caller.sendInDialog('BYE');
      await answerNext(c.callee);
      await c.caller.nextNon100();
      active.set(s, active.get(s)! - 1);
      await expect.poll(() => [a.stat('active_dialogs'), b.stat('active_dialogs')]).toEqual([active.get(a), active.get(b)]);
    }
    await expect.poll(() => count(a)).toBe(0);
    for (const c of [c1, c2, c3]) {
      c.caller.close();
      c.callee.close();
    }
  });
});
