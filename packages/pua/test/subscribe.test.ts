/**
 * SUBSCRIBE lifecycle against Kamailio's presence module: the dialog, NOTIFYs answered by pua and handed to
 * the callbacks, refresh inside the dialog before expiry, termination by Expires 0; and, with
 * the default consume_notify=0 (OpenSIPS behaviour), NOTIFYs left to the script, which calls pua_update_contact().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipMessage, SipServer } from '@core/sip';
import { startPresenceServer, type KamailioServer } from '@tsips/testkit';
import { PUA_EVENT, PUA_SOURCE, type UaPres } from '../src/index.js';
import { startPua, type Bound } from './harness.js';

let kam: KamailioServer;
let server: SipServer;
let api: Bound;
const seen: { rec: UaPres; code: number | undefined; notify: SipMessage | undefined }[] = [];

beforeAll(async () => {
  kam = await startPresenceServer();
  ({ server, api } = await startPua({ consume_notify: 1 }));
  api.pua.registerPuacb(PUA_SOURCE.MI_SUBSCRIBE, (rec, fl, _p, notify) => seen.push({ rec, code: fl?.code, notify }));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await kam?.stop();
});

const body = (m: SipMessage | undefined) => m?.body.toString() ?? '';

describe('pua SUBSCRIBE against Kamailio presence', () => {
  it('subscribes, gets NOTIFYs (200 by pua, body to the callback), refreshes in the dialog, ends with Expires 0', async () => {
    const pres = 'sip:gina@127.0.0.1';
    const proxy = `sip:127.0.0.1:${kam.port}`;
    const sub = {
      presUri: pres,
      watcherUri: 'sip:mon@127.0.0.1',
      event: PUA_EVENT.PRESENCE_EVENT,
      expires: 4,
      sourceFlag: PUA_SOURCE.MI_SUBSCRIBE,
      outboundProxy: proxy,
    };
    const out = await api.pua.sendSubscribe(sub);
    expect(out.code).toBe(200);
    const rec = out.record!;
    expect(api.pua.isDialog(rec)).toBe(0);
    expect(rec.toTag).not.toBe('');
    expect(seen.some((s) => s.rec === rec && s.code === 200)).toBe(true);
    await expect.poll(() => seen.some((s) => s.rec === rec && s.notify !== undefined), { timeout: 5_000 }).toBe(true);

    const pub = await api.pua.sendPublish({
      presUri: pres,
      body: '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:gina@127.0.0.1"><tuple id="g"><status><basic>open</basic></status><note>gina-in</note></tuple></presence>',
      expires: 60,
      sourceFlag: PUA_SOURCE.MI_PUBLISH,
      event: PUA_EVENT.PRESENCE_EVENT,
      outboundProxy: proxy,
    });
    expect(pub.code).toBe(200);
    await expect.poll(() => seen.some((s) => s.rec === rec && body(s.notify).includes('gina-in')), { timeout: 5_000 }).toBe(true);
    expect(rec.subState).toBe('active');

    // Refresh inside the dialog: the re-SUBSCRIBE carries the To tag and a higher CSeq.
    const re = new RegExp(`REQ SUBSCRIBE \\S+ from \\S+ etag=<null> expires=4 totag=${rec.toTag} cseq=2`);
    await expect.poll(() => re.test(kam.log()), { timeout: 8_000, interval: 100 }).toBe(true);
    await expect.poll(() => rec.cseq, { timeout: 3_000 }).toBe(2);
    expect(api.pua.isDialog(rec)).toBe(0);

    const end = await api.pua.sendSubscribe({ ...sub, expires: 0 });
    expect(end.code).toBe(200);
    expect(api.pua.isDialog(rec)).toBe(-1);
    await expect.poll(() => seen.some((s) => s.rec === rec && /terminated/i.test(s.notify?.header('Subscription-State') ?? '')), { timeout: 5_000 }).toBe(true);
    await api.pua.sendPublish({ presUri: pres, expires: 0, sourceFlag: PUA_SOURCE.MI_PUBLISH, event: PUA_EVENT.PRESENCE_EVENT });
  });

  it('a NOTIFY that is not of a pua dialog goes to the script (404 here)', async () => {
    const r = await api.tm.request({
      method: 'NOTIFY',
      ruri: `sip:x@127.0.0.1:${server.sockets[0]!.port}`,
      from: '<sip:a@127.0.0.1>',
      to: '<sip:b@127.0.0.1>;tag=nope',
      headers: [
        ['Event', 'presence'],
        ['Subscription-State', 'active'],
      ],
    }).done;
    expect(r.code).toBe(404);
  });

  it('consume_notify default (0, as OpenSIPS): NOTIFYs reach the script, pua_update_contact() makes their Contact the remote target', async () => {
    const { server: s2, api: a2 } = await startPua({}, [], (ctx) => {
      if (ctx.$rm === 'NOTIFY') {
        const rc = ctx.pua_update_contact();
        ctx.sl_send_reply(rc > 0 ? 200 : 481, rc > 0 ? 'OK' : 'No Subscription');
        return;
      }
      ctx.sl_send_reply(404, 'Not here');
    });
    try {
      const out = await a2.pua.sendSubscribe({
        presUri: 'sip:hal@127.0.0.1',
        watcherUri: 'sip:mon@127.0.0.1',
        event: PUA_EVENT.PRESENCE_EVENT,
        expires: 60,
        sourceFlag: PUA_SOURCE.MI_SUBSCRIBE,
        outboundProxy: `sip:127.0.0.1:${kam.port}`,
      });
      expect(out.code).toBe(200);
      const rec = out.record!;
      // Kamailio's NOTIFYs were answered by the script (else Kamailio would retransmit and drop the watcher).
      const me = `sip:127.0.0.1:${s2.sockets[0]!.port}`;
      const notify = (tag: string) =>
        a2.tm.request({
          method: 'NOTIFY',
          ruri: me,
          from: `<sip:hal@127.0.0.1>;tag=${rec.toTag}`,
          to: `<sip:mon@127.0.0.1>;tag=${tag}`,
          callId: rec.callId,
          cseq: 50,
          contact: '<sip:moved@127.0.0.1:5999>',
          headers: [
            ['Event', 'presence'],
            ['Subscription-State', 'active;expires=60'],
          ],
        }).done;
      expect((await notify(rec.fromTag)).code).toBe(200);
      expect(rec.remoteContact).toBe('sip:moved@127.0.0.1:5999');
      expect((await notify('other')).code).toBe(481);
    } finally {
      await s2.stop();
    }
  });
});
