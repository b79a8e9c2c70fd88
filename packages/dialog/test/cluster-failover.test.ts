/**
 * Dialog clustering, end to end (issue 12): two proxies, each its own process, on one real Redis, with
 * dialog_replication_cluster and every dialog on the sharing tag "vip". A call set up before the backup
 * starts reaches it by the donor sync, a second one by live replication. The active node is killed
 * (SIGKILL) mid-call; the backup takes the tag, routes the first call's BYE, sends the second call's
 * timeout BYEs itself, and its profile counts stay exact throughout.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnTsLines, startRedis, type LineProcess, type RedisServer } from '@tsips/testkit';
import { Ua, methodOf, replyTo, statusOf } from './sip-ua.js';
import { miOverLines } from './mi-lines.js';

const NODE = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let redis: RedisServer;
const procs: LineProcess[] = [];
const uas: Ua[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  // Nodes of one test must not hold the tag (or node ids) of the next: killed, and their keys removed.
  const left = procs.splice(0);
  for (const p of left) p.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited()));
  for (const u of uas.splice(0)) u.close();
  await redis.restart(); // no persistence: every lease and heartbeat key is gone
});
afterAll(async () => {
  await redis?.stop();
});

const mi = miOverLines;
const size = async (p: LineProcess, profile: string, value?: string): Promise<number> =>
  ((await mi(p, 'profile_get_size', { profile, ...(value !== undefined ? { value } : {}) })) as { Profile: { count: number } }).Profile.count;
const dialogs = async (p: LineProcess): Promise<{ callid: string; state: number }[]> =>
  ((await mi(p, 'dlg_list')) as { Dialogs: { callid: string; state: number }[] }).Dialogs;
const tagState = async (p: LineProcess): Promise<string | undefined> =>
  ((await mi(p, 'dlg_list_sharing_tags')) as { tag: string; state: string }[]).find((t) => t.tag === 'vip')?.state;

function startNode(port: number, id: number, declared: 'active' | 'backup', ...aliasPorts: number[]): LineProcess {
  const p = spawnTsLines(NODE, [String(port), redis.url, String(id), declared, aliasPorts.join(',')], ROOT, `node ${id}`);
  procs.push(p);
  return p;
}

/** A call through the proxy on `proxyPort`: INVITE, 200, ACK; returns both sides. */
async function call(proxyPort: number, timeout: number): Promise<{ caller: Ua; callee: Ua; callId: string }> {
  const caller = await Ua.open(proxyPort, 'alice');
  const callee = await Ua.open(proxyPort, 'bob');
  uas.push(caller, callee);
  await caller.invite(`sip:bob@127.0.0.1:${callee.port}`, [`X-Timeout: ${timeout}`]);
  const inv = (await callee.nextNon100(5000)).text;
  callee.learnFromInvite(inv);
  await callee.reply(inv, 200, 'OK');
  const ok = await caller.nextNon100(5000);
  expect(statusOf(ok.text)).toBe(200);
  caller.learnFromAnswer(ok.text);
  await caller.sendInDialog('ACK');
  expect(methodOf((await callee.next(5000)).text)).toBe('ACK');
  return { caller, callee, callId: caller.callId };
}

/** Answers a BYE the proxy on `port` sent (it must come from there), and returns when and what it was. */
async function answerBye(ua: Ua, port: number, ms: number): Promise<{ at: number; text: string }> {
  const r = await ua.nextNon100(ms);
  expect(methodOf(r.text)).toBe('BYE');
  expect(r.port).toBe(port);
  const at = Date.now();
  await ua.peer.send(replyTo(r.text, 200, 'OK', { toTag: ua.localTag }), port);
  return { at, text: r.text };
}

describe('dialog cluster failover (two processes on Redis)', () => {
  it('after a SIGKILL of the active node, the backup takes the tag, routes the BYE, enforces the timeout, and counts stay exact', async () => {
    const p1 = await freePort();
    const p2 = await freePort();
    const n1 = startNode(p1, 1, 'active', p2);
    await n1.wait(/^READY /);
    await expect.poll(() => tagState(n1), { timeout: 5000 }).toBe('active');

    // Call A before the backup exists: node 2 gets it from the donor sync.
    const a = await call(p1, 120);
    const n2 = startNode(p2, 2, 'backup', p1);
    await n2.wait(/^READY /);
    await expect.poll(async () => (await dialogs(n2)).map((d) => d.callid), { timeout: 10_000 }).toEqual([a.callId]);
    expect(await tagState(n2)).toBe('backup');

    // Call B after: live replication, confirmed and ACKed (state 4) on node 2 too. Its timeout is short.
    const timeoutB = 6;
    const b = await call(p1, timeoutB);
    const bConfirmedAt = Date.now();
    await expect.poll(async () => (await dialogs(n2)).find((d) => d.callid === b.callId)?.state, { timeout: 5000 }).toBe(4);
    expect(await size(n2, 'calls')).toBe(2);
    expect(await size(n2, 'trunk', 'gw1')).toBe(2);
    expect(await size(n1, 'calls')).toBe(2);

    // The active node dies mid-call, without a word.
    const killedAt = Date.now();
    n1.child.kill('SIGKILL');
    await n1.exited();
    await expect.poll(() => tagState(n2), { timeout: 5000, interval: 50 }).toBe('active');
    expect(Date.now() - killedAt).toBeLessThan(1000 + 2500);
    expect(await size(n2, 'calls')).toBe(2);

    // Call A: the callee hangs up towards node 1's address, now served by node 2 (the VIP moved).
    a.callee.cseq++;
    await a.callee.peer.send(a.callee.request('BYE'), p2);
    await answerBye(a.caller, p2, 5000);
    const okA = await a.callee.nextNon100(5000);
    expect(statusOf(okA.text)).toBe(200);
    await expect.poll(() => size(n2, 'calls'), { timeout: 5000 }).toBe(1);
    expect(await size(n2, 'trunk', 'gw1')).toBe(1);

    // Call B: node 2 (now holding the tag) ends it at its timeout with a BYE to each side.
    const [toCaller, toCallee] = await Promise.all([answerBye(b.caller, p2, (timeoutB + 5) * 1000), answerBye(b.callee, p2, (timeoutB + 5) * 1000)]);
    expect(toCaller.at - bConfirmedAt).toBeGreaterThanOrEqual(timeoutB * 1000 - 1500);
    expect(toCaller.at - bConfirmedAt).toBeLessThan(timeoutB * 1000 + 3000);
    expect(toCallee.text).toContain(b.callId);
    await expect.poll(() => size(n2, 'calls'), { timeout: 5000 }).toBe(0);
    expect(await size(n2, 'trunk', 'gw1')).toBe(0);
    await expect.poll(async () => (await dialogs(n2)).length, { timeout: 10_000 }).toBe(0);
    const stats = (await mi(n2, 'get_statistics', { statistics: ['dialog:dlg_repl_received', 'dialog:expired_dialogs'] })) as Record<string, number>;
    // Call B's confirmation and its ACK (call A came by the sync).
    expect(stats['dialog:dlg_repl_received']).toBeGreaterThanOrEqual(2);
    expect(stats['dialog:expired_dialogs']).toBe(1);
  }, 90_000);

  it('three nodes: one survivor takes the tag and acts; the other stays quiet and follows its deletes', async () => {
    const ports = [await freePort(), await freePort(), await freePort()] as const;
    const others = (i: number): number[] => ports.filter((_, j) => j !== i);
    const n1 = startNode(ports[0], 1, 'active', ...others(0));
    await n1.wait(/^READY /);
    await expect.poll(() => tagState(n1), { timeout: 5000 }).toBe('active');
    const n2 = startNode(ports[1], 2, 'backup', ...others(1));
    const n3 = startNode(ports[2], 3, 'backup', ...others(2));
    await Promise.all([n2.wait(/^READY /), n3.wait(/^READY /)]);
    const a = await call(ports[0], 120);
    const timeoutB = 6;
    const b = await call(ports[0], timeoutB);
    const bConfirmedAt = Date.now();
    for (const n of [n2, n3]) {
      await expect.poll(async () => (await dialogs(n)).map((d) => d.state), { timeout: 5000 }).toEqual([4, 4]);
      expect(await size(n, 'calls')).toBe(2);
    }

    n1.child.kill('SIGKILL');
    await n1.exited();
    await expect.poll(async () => [await tagState(n2), await tagState(n3)].filter((s) => s === 'active').length, { timeout: 5000, interval: 50 }).toBe(1);
    const [w, o, wPort] = (await tagState(n2)) === 'active' ? [n2, n3, ports[1]] : [n3, n2, ports[2]];

    // Call A ends through the winner; the other one drops it on the winner's replicated delete.
    a.callee.cseq++;
    await a.callee.peer.send(a.callee.request('BYE'), wPort);
    await answerBye(a.caller, wPort, 5000);
    expect(statusOf((await a.callee.nextNon100(5000)).text)).toBe(200);
    for (const n of [w, o]) await expect.poll(() => size(n, 'calls'), { timeout: 5000 }).toBe(1);

    // Call B times out: BYEs from the winner only (answerBye checks the port), none from the other.
    const [toCaller] = await Promise.all([answerBye(b.caller, wPort, (timeoutB + 5) * 1000), answerBye(b.callee, wPort, (timeoutB + 5) * 1000)]);
    expect(toCaller.at - bConfirmedAt).toBeGreaterThanOrEqual(timeoutB * 1000 - 1500);
    for (const n of [w, o]) await expect.poll(async () => (await dialogs(n)).length, { timeout: 5000 }).toBe(0);
    expect(await size(o, 'calls')).toBe(0);
    expect(await b.caller.silent(1000)).toBe(true);
    expect(await b.callee.silent(10)).toBe(true);
    const stats = (await mi(o, 'get_statistics', { statistics: ['dialog:expired_dialogs'] })) as Record<string, number>;
    expect(stats['dialog:expired_dialogs']).toBe(0);
  }, 90_000);
});
