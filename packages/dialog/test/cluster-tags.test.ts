/**
 * Dialog sharing tags with both nodes alive (two in-process proxies on one real Redis): the node holding
 * the tag pings, times out and deletes; the other keeps the replicated dialog quietly and follows the
 * replicated delete; dlg_set_sharing_tag_active moves who acts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killRedisClient, startRedis, type RedisServer } from '@tsips/testkit';
import clusterer from '@mod/clusterer';
import { Proxy, call } from './proxy.js';
import { methodOf, replyTo, type Ua } from './sip-ua.js';

let redis: RedisServer;
let nodes: Proxy[] = [];
const uas: Ua[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const u of uas.splice(0)) u.close();
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});
afterAll(async () => {
  await redis?.stop();
});

async function node(id: number, declared: 'active' | 'backup'): Promise<Proxy> {
  const p = await Proxy.start(
    {
      // A lease of 3 s: on a loaded machine a shorter one can lapse between two beats and move the tag mid-test.
      clusterer: { my_node_id: id, cachedb_url: redis.url, ping_interval: 0.2, node_timeout: 3, seed_fallback_interval: 0.3, sharing_tag: `vip/1=${declared}` },
      dialog: { dialog_replication_cluster: 1, dlg_sharing_tag: 'vip', profiles_with_value: 'trunk', options_ping_interval: 0.3 },
    },
    [clusterer],
  );
  nodes.push(p);
  return p;
}

const tagOf = async (p: Proxy): Promise<string | undefined> =>
  ((await p.mi('dlg_list_sharing_tags')) as { tag: string; state: string }[]).find((t) => t.tag === 'vip')?.state;
const listed = async (p: Proxy): Promise<string[]> => ((await p.mi('dlg_list')) as { Dialogs: { callid: string }[] }).Dialogs.map((d) => d.callid);
const trunk = async (p: Proxy): Promise<number> => ((await p.mi('profile_get_size', { profile: 'trunk', value: 'gw' })) as { Profile: { count: number } }).Profile.count;

/** Answers every request `ua` gets for `ms`, recording the method and the proxy port it came from. */
async function collect(ua: Ua, ms: number): Promise<{ method: string; from: number }[]> {
  const got: { method: string; from: number }[] = [];
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) return got;
    const r = await ua.peer.next(left).catch(() => undefined);
    if (r === undefined) return got;
    if (r.text.startsWith('SIP/2.0')) continue;
    got.push({ method: methodOf(r.text), from: r.port });
    await ua.peer.send(replyTo(r.text, 200, 'OK', { toTag: ua.localTag }), r.port);
  }
}

/** Answers (200) whatever `ua` gets until a `method` request comes, which it returns unanswered. */
async function answerUntil(ua: Ua, method: string): Promise<string> {
  for (;;) {
    const r = await ua.peer.next(3000);
    if (r.text.startsWith('SIP/2.0')) continue;
    if (methodOf(r.text) === method) return r.text;
    await ua.peer.send(replyTo(r.text, 200, 'OK', { toTag: ua.localTag }), r.port);
  }
}

describe('dialog sharing tags, both nodes up', () => {
  it('only the active node pings and sends the timeout BYEs; the backup follows the replicated delete', async () => {
    const n1 = await node(1, 'active');
    const n2 = await node(2, 'backup');
    await expect.poll(() => tagOf(n1), { timeout: 8000 }).toBe('active');
    n1.hooks = {
      flags: 'Bp',
      recordRoute: true,
      initial: (ctx) => {
        ctx.DLG_timeout(2);
        ctx.set_dlg_profile('trunk', 'gw');
        ctx.store_dlg_value('acct', '42');
      },
    };
    const c = await call(n1);
    uas.push(c.caller, c.callee);
    const callid = c.caller.callId;
    await expect.poll(() => listed(n2)).toEqual([callid]);
    expect(await trunk(n2)).toBe(1);
    expect(await tagOf(n2)).toBe('backup');

    const [toCallee, toCaller] = await Promise.all([collect(c.callee, 3500), collect(c.caller, 3500)]);
    // Pings every 0.3 s until the 2 s timeout, then one BYE each: all from node 1, none from node 2.
    expect(toCallee.filter((r) => r.method === 'OPTIONS').length).toBeGreaterThanOrEqual(3);
    expect(new Set([...toCallee, ...toCaller].map((r) => r.from))).toEqual(new Set([n1.port]));
    expect(toCallee.filter((r) => r.method === 'BYE')).toHaveLength(1);
    expect(toCaller.filter((r) => r.method === 'BYE')).toHaveLength(1);
    // Node 2 never expired it itself: the delete came from node 1.
    await expect.poll(() => listed(n2), { timeout: 3000 }).toEqual([]);
    expect(n2.stat('expired_dialogs')).toBe(0);
    expect(n1.stat('expired_dialogs')).toBe(1);
    expect(await trunk(n2)).toBe(0);
    expect(n1.stat('dlg_repl_sent')).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('replicates later changes (values, flags, timeout); dlg_set_sharing_tag_active moves the pings to the new holder', async () => {
    const n1 = await node(1, 'active');
    const n2 = await node(2, 'backup');
    await expect.poll(() => tagOf(n1), { timeout: 8000 }).toBe('active');
    n1.hooks = { flags: 'p', recordRoute: true };
    const c = await call(n1);
    uas.push(c.caller, c.callee);
    await expect.poll(() => listed(n2)).toEqual([c.caller.callId]);
    // A change after the confirmation, through the API on node 1, reaches node 2.
    const info1 = ((await n1.mi('dlg_list')) as { Dialogs: { h_entry: number; h_id: number }[] }).Dialogs[0]!;
    const dlg1 = n1.api.lookupDlg(info1.h_entry, info1.h_id)!;
    n1.api.storeDlgValue(dlg1, 'later', 'yes');
    await expect.poll(() => n2.api.lookupDlg(info1.h_entry, info1.h_id)?.vals?.get('later')).toBe('yes');
    const dlg2 = n2.api.lookupDlg(info1.h_entry, info1.h_id)!;
    expect(dlg2.shtag).toBe('vip');
    expect(dlg2.toTag).toBe(dlg1.toTag);
    // A re-INVITE on node 1 whose script sets $DLG_timeout and a dialog flag: both reach node 2 (and its CSeq).
    n1.hooks.within = (ctx, matched) => {
      if (!matched || !ctx.is_method('INVITE')) return;
      ctx.DLG_timeout(100);
      ctx.set_dlg_flag(3);
    };
    await c.caller.sendInDialog('INVITE');
    const reinvite = await answerUntil(c.callee, 'INVITE');
    await c.callee.reply(reinvite, 200, 'OK');
    expect((await c.caller.nextNon100(3000)).text).toMatch(/^SIP\/2.0 200/);
    await c.caller.sendInDialog('ACK');
    await expect.poll(() => dlg2.scriptFlags).toBe(8);
    expect(Math.abs(dlg2.expiresAt - dlg1.expiresAt)).toBeLessThan(1500);
    expect(dlg2.expiresAt - Date.now()).toBeGreaterThan(90_000);
    expect(dlg2.callerCseq).toBe(2);

    expect(await n2.mi('dlg_set_sharing_tag_active', { tag: 'vip' })).toBe('OK');
    await expect.poll(() => tagOf(n1), { timeout: 5000 }).toBe('backup');
    expect(await tagOf(n2)).toBe('active');
    // Pings node 1 sent before it stepped down may still be retransmitted (fr_timer 1 s): answer them first.
    await collect(c.callee, 1200);
    const pings = await collect(c.callee, 1200);
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(new Set(pings.map((r) => r.from))).toEqual(new Set([n2.port]));

    // The new holder ends it: BYEs from node 2, and node 1 drops its copy on the replicated delete.
    await n2.mi('dlg_end_dlg', { dialog_id: `${info1.h_entry}:${info1.h_id}` });
    const [byeCallee, byeCaller] = await Promise.all([collect(c.callee, 1000), collect(c.caller, 1000)]);
    expect(byeCallee.filter((r) => r.method === 'BYE').map((r) => r.from)).toEqual([n2.port]);
    expect(byeCaller.filter((r) => r.method === 'BYE').map((r) => r.from)).toEqual([n2.port]);
    await expect.poll(() => listed(n1), { timeout: 3000 }).toEqual([]);
    expect(await n1.mi('dlg_cluster_sync')).toBe('OK');
  }, 30_000);

  it('a node that missed a delete while cut off drops the dialog at its re-sync', async () => {
    const n1 = await node(1, 'active');
    const n2 = await node(2, 'backup');
    await expect.poll(() => tagOf(n1), { timeout: 8000 }).toBe('active');
    n1.hooks = { flags: '', recordRoute: true, initial: (ctx) => void ctx.set_dlg_profile('trunk', 'gw') };
    const c = await call(n1);
    uas.push(c.caller, c.callee);
    await expect.poll(() => listed(n2)).toEqual([c.caller.callId]);
    const received = n2.stat('dlg_repl_received');
    // Node 2's subscriber loses its connection; the delete published meanwhile never reaches it.
    expect(await killRedisClient(redis.port, 'tsips-clu-2-sub')).toBe(true);
    await n1.mi('dlg_end_dlg', { dialog_id: c.caller.callId });
    await Promise.all([collect(c.callee, 300), collect(c.caller, 300)]);
    // After its reconnect node 2 re-syncs from node 1, which no longer has the dialog.
    await expect.poll(() => listed(n2), { timeout: 5000 }).toEqual([]);
    expect(n2.stat('dlg_repl_received')).toBe(received);
    expect(await trunk(n2)).toBe(0);
  }, 30_000);

  it('a node that took a tag over replicates the delete of a dialog it only ever received', async () => {
    const n1 = await node(1, 'active');
    const n2 = await node(2, 'backup');
    await expect.poll(() => tagOf(n1), { timeout: 8000 }).toBe('active');
    n1.hooks = { flags: '', recordRoute: true };
    const c = await call(n1);
    uas.push(c.caller, c.callee);
    await expect.poll(() => listed(n2)).toEqual([c.caller.callId]);
    const sent = n2.stat('dlg_repl_sent');
    await n2.mi('dlg_set_sharing_tag_active', { tag: 'vip' });
    await expect.poll(() => tagOf(n1), { timeout: 5000 }).toBe('backup');
    await n2.mi('dlg_end_dlg', { dialog_id: c.caller.callId });
    await Promise.all([collect(c.callee, 300), collect(c.caller, 300)]);
    await expect.poll(() => listed(n1), { timeout: 3000 }).toEqual([]);
    expect(n2.stat('dlg_repl_sent')).toBe(sent + 1); // the delete, its only message for this dialog
  }, 30_000);

  it('set_dlg_sharing_tag() puts a dialog on another tag, which the backup follows and lists', async () => {
    const n1 = await node(1, 'active');
    const n2 = await node(2, 'backup');
    await expect.poll(() => tagOf(n1), { timeout: 8000 }).toBe('active');
    n1.hooks = { flags: '', recordRoute: true, initial: (ctx) => void ctx.set_dlg_sharing_tag('trunk2') };
    const c = await call(n1);
    uas.push(c.caller, c.callee);
    await expect.poll(() => listed(n2)).toEqual([c.caller.callId]);
    const info = ((await n2.mi('dlg_list')) as { Dialogs: { h_entry: number; h_id: number }[] }).Dialogs[0]!;
    expect(n2.api.lookupDlg(info.h_entry, info.h_id)?.shtag).toBe('trunk2');
    // Both nodes follow the new tag (its state is the clusterer's business: a vacant tag is taken by someone).
    for (const n of [n1, n2]) {
      const tags = ((await n.mi('dlg_list_sharing_tags')) as { tag: string }[]).map((t) => t.tag);
      expect(tags).toEqual(['trunk2', 'vip']);
    }
    expect(n1.api.lookupDlg(info.h_entry, info.h_id)?.shtag).toBe('trunk2');
  }, 30_000);
});
