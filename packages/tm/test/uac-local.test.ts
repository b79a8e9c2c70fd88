/**
 * What tm adds around requests it originates and answers it gives: local_route (header changes, drop),
 * pass_provisional_replies for MI t_uac_dlg, and timer I (T4) after the ACK of a negative INVITE reply.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TmApi } from '../src/index.js';
import { UdpPeer, request, statusOf, replyTo, methodOf, nextMatching, headerOf, finalOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

let uac: UdpPeer;
let uas: UdpPeer;
const proxies: Proxy[] = [];
async function proxy(params: Record<string, unknown>): Promise<Proxy> {
  const p = await startProxy(params);
  proxies.push(p);
  return p;
}
const api = (p: Proxy): TmApi => p.server.loader.apiOf('tm')!.api as TmApi;

beforeAll(async () => {
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  await Promise.all(proxies.map((p) => p.stop()));
});
beforeEach(async () => {
  for (const peer of [uac, uas]) while (!(await peer.silent(20)));
});

const uasUri = () => `sip:bob@127.0.0.1:${uas.port}`;

describe('local_route', () => {
  it('runs for each request tm originates (routeType local): its header changes go out, received requests do not run it', async () => {
    const p = await proxy({});
    const seen: string[] = [];
    p.routes.local = (ctx) => {
      seen.push(`${ctx.routeType} ${ctx.$rm} ${ctx.$ci}`);
      ctx.append_hf('X-Local: yes\r\n');
      ctx.remove_hf('X-Secret');
    };
    p.routes.request = (ctx) => ctx.t_relay();
    const h = api(p).request({ method: 'OPTIONS', ruri: uasUri(), from: '<sip:tsips@127.0.0.1>', to: `<${uasUri()}>`, callId: 'local-1', headers: [['X-Secret', 'k']] });
    const o = await uas.next();
    expect(headerOf(o.text, 'X-Local')).toBe('yes');
    expect(headerOf(o.text, 'X-Secret')).toBe(undefined);
    expect(headerOf(o.text, 'Via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
    await uas.send(replyTo(o.text, 200, 'OK', { toTag: 'l' }), p.port);
    expect((await h.done).code).toBe(200);
    // A relayed request does not go through local_route.
    await uac.send(request('OPTIONS', uasUri(), uac.port, { callId: 'local-relayed' }), p.port);
    const r = await uas.next();
    expect(headerOf(r.text, 'X-Local')).toBe(undefined);
    await uas.send(replyTo(r.text, 200, 'OK', { toTag: 'r' }), p.port);
    await finalOf(uac, 'local-relayed');
    expect(seen).toEqual(['local OPTIONS local-1']);
  });

  it('drop() in local_route: nothing is sent and the request ends with 503', async () => {
    const p = await proxy({});
    p.routes.local = (ctx) => {
      if (ctx.$rm === 'MESSAGE') ctx.drop();
    };
    const h = api(p).request({
      method: 'MESSAGE',
      ruri: uasUri(),
      from: '<sip:tsips@127.0.0.1>',
      to: `<${uasUri()}>`,
      callId: 'local-drop',
      body: Buffer.from('x'),
      contentType: 'text/plain',
    });
    const o = await h.done;
    expect(o.code).toBe(503);
    expect(o.reply).toBe(undefined);
    expect(await nextMatching(uas, (t) => headerOf(t, 'Call-ID') === 'local-drop', 200).catch(() => undefined)).toBe(undefined);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000 }).toBe(0);
  });
});

describe('pass_provisional_replies', () => {
  async function uacDlg(p: Proxy, callId: string): Promise<Record<string, unknown>> {
    const res = p.server.mi.call('t_uac_dlg', {
      method: 'INVITE',
      ruri: uasUri(),
      next_hop: '.',
      headers: `From: <sip:app@127.0.0.1>\r\nTo: <${uasUri()}>\r\nCall-ID: ${callId}\r\n`,
    });
    const inv = await nextMatching(uas, (t) => methodOf(t) === 'INVITE');
    await uas.send(replyTo(inv.text, 100, 'Trying'), p.port);
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'p' }), p.port);
    await uas.send(replyTo(inv.text, 183, 'Session Progress', { toTag: 'p' }), p.port);
    await uas.send(replyTo(inv.text, 486, 'Busy Here', { toTag: 'p' }), p.port);
    return (await res) as Record<string, unknown>;
  }

  it('1: the MI application gets the provisional replies of its request', async () => {
    const r = await uacDlg(await proxy({ pass_provisional_replies: 1 }), 'pp-1');
    expect(r).toMatchObject({ Status: '486 Busy Here', Provisional: ['100 Trying', '180 Ringing', '183 Session Progress'] });
  });

  it('0 (default): only the final reply', async () => {
    const r = await uacDlg(await proxy({}), 'pp-0');
    expect(r.Status).toBe('486 Busy Here');
    expect(r).not.toHaveProperty('Provisional');
  });
});

describe('timer I', () => {
  it('after the ACK of a negative reply, ACK retransmissions are absorbed for T4, then the transaction is freed (not after wt_timer)', async () => {
    const p = await proxy({ T4_timer: 400, wt_timer: 5 });
    const acks: string[] = [];
    p.routes.request = async (ctx) => {
      if (ctx.is_method('ACK')) {
        acks.push(String(ctx.t_check_trans()));
        return;
      }
      await ctx.t_relay();
    };
    const inv = request('INVITE', uasUri(), uac.port, { callId: 'timer-i', branch: 'z9hG4bKtimeri' });
    await uac.send(inv, p.port);
    const got = await nextMatching(uas, (t) => methodOf(t) === 'INVITE');
    await uas.send(replyTo(got.text, 486, 'Busy Here', { toTag: 'i' }), p.port);
    await finalOf(uac, 'timer-i');
    const ack = request('ACK', uasUri(), uac.port, { callId: 'timer-i', branch: 'z9hG4bKtimeri', toTag: 'i' }).replace(/tag=a\d+/, /tag=a\d+/.exec(inv)![0]);
    const t0 = Date.now();
    await uac.send(ack, p.port);
    await new Promise((r) => setTimeout(r, 150));
    await uac.send(ack, p.port); // a retransmission within T4: still matched and absorbed
    await expect.poll(() => acks.length).toBe(2);
    expect(acks).toEqual(['1', '1']); // t_check_trans matched both; the stopped 486 retransmissions below show they were absorbed
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000, interval: 20 }).toBe(0);
    const freed = Date.now() - t0;
    expect(freed).toBeGreaterThanOrEqual(350);
    expect(freed).toBeLessThan(1500);
    // No more 486 retransmissions once the ACK came (timer G stopped).
    expect(await nextMatching(uac, (t) => statusOf(t) === 486, 300).catch(() => undefined)).toBe(undefined);
  });
});
