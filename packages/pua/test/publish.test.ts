/**
 * PUBLISH lifecycle against Kamailio's presence module: initial, refresh before expiry, modify, remove,
 * 412 recovery with a genuinely stale ETag, 423 with Min-Expires. A watcher subscribed at Kamailio sees
 * what pua published, so nothing here trusts pua's own view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipServer } from '@core/sip';
import { startPresenceServer, PresenceWatcher, type KamailioServer } from '@tsips/testkit';
import { PUA_EVENT, PUA_SOURCE, type PublInfo } from '../src/index.js';
import { startPua, type Bound } from './harness.js';

let kam: KamailioServer;
let strict: KamailioServer;
let server: SipServer;
let api: Bound;

const pidf = (entity: string, status: string, note: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}"><tuple id="t1"><status><basic>${status}</basic></status><note>${note}</note></tuple></presence>`;

beforeAll(async () => {
  kam = await startPresenceServer();
  strict = await startPresenceServer({ tooBrief: 30 });
  ({ server, api } = await startPua({ update_period: 30 }));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([kam?.stop(), strict?.stop()]);
});

function publ(user: string, over: Partial<PublInfo> = {}, port = kam.port): PublInfo {
  const uri = `sip:${user}@127.0.0.1`;
  return {
    presUri: uri,
    body: pidf(uri, 'open', 'hello'),
    expires: 60,
    sourceFlag: PUA_SOURCE.MI_PUBLISH,
    event: PUA_EVENT.PRESENCE_EVENT,
    outboundProxy: `sip:127.0.0.1:${port}`,
    ...over,
  };
}

describe('pua PUBLISH against Kamailio presence', () => {
  it('initial → 200 with an ETag, a watcher gets the body; modify changes it (new ETag); remove ends it', async () => {
    const first = await api.pua.sendPublish(publ('alice'));
    expect(first.code).toBe(200);
    expect(first.etag).toMatch(/\S+/);
    expect(first.record?.etag).toBe(first.etag);
    const w = await PresenceWatcher.open(kam.port);
    try {
      await w.subscribe('sip:alice@127.0.0.1', 'presence');
      await w.waitFor((b) => b.includes('<note>hello</note>'));
      const mod = await api.pua.sendPublish(publ('alice', { body: pidf('sip:alice@127.0.0.1', 'closed', 'away') }));
      expect(mod.code).toBe(200);
      expect(mod.etag).not.toBe(first.etag);
      await expect.poll(() => kam.log(), { timeout: 5_000 }).toMatch(new RegExp(`REQ PUBLISH sip:alice@127\\.0\\.0\\.1 .* etag=${first.etag}`));
      await w.waitFor((b) => b.includes('<note>away</note>'));
      const n = w.notifies.length;
      const rm = await api.pua.sendPublish(publ('alice', { body: null, expires: 0 }));
      expect(rm.code).toBe(200);
      expect(rm.record).toBe(undefined);
      expect([...api.pua.records()].some((r) => r.presUri === 'sip:alice@127.0.0.1')).toBe(false);
      // After the remove Kamailio has no state left for alice: its NOTIFY carries no "away" any more.
      await w.waitFor((b) => !b.includes('away'), 10_000, n);
    } finally {
      w.close();
    }
  });

  it('refreshes before expiry with SIP-If-Match and no body, keeping the ETag chain', async () => {
    const first = await api.pua.sendPublish(publ('carol', { expires: 4 }));
    expect(first.code).toBe(200);
    const rec = first.record!;
    const re = new RegExp(`REQ PUBLISH sip:carol@127\\.0\\.0\\.1 .* etag=${first.etag} expires=4`);
    await expect.poll(() => re.test(kam.log()), { timeout: 8_000, interval: 100 }).toBe(true);
    await expect.poll(() => rec.etag !== first.etag, { timeout: 4_000 }).toBe(true);
    expect(rec.body).toContain('hello');
    // Still published: a watcher sees it after the first expiry time passed.
    const w = await PresenceWatcher.open(kam.port);
    try {
      await w.subscribe('sip:carol@127.0.0.1', 'presence');
      await w.waitFor((b) => b.includes('<note>hello</note>'));
    } finally {
      w.close();
    }
    await api.pua.sendPublish(publ('carol', { body: null, expires: 0 }));
  });

  it("412 to a stale ETag (removed behind pua's back) → a fresh PUBLISH of the stored body, new ETag", async () => {
    const first = await api.pua.sendPublish(publ('dave'));
    expect(first.code).toBe(200);
    // Someone else removes that publication: the ETag pua holds is now unknown to Kamailio.
    const gone = await api.tm.request({
      method: 'PUBLISH',
      ruri: 'sip:dave@127.0.0.1',
      from: '<sip:dave@127.0.0.1>',
      to: '<sip:dave@127.0.0.1>',
      dstUri: `sip:127.0.0.1:${kam.port}`,
      headers: [
        ['Event', 'presence'],
        ['Expires', '0'],
        ['SIP-If-Match', first.etag!],
      ],
    }).done;
    expect(gone.code).toBe(200);
    let fresh = 0;
    const again = await api.pua.sendPublish(publ('dave', { body: null, cbrpl: (o) => (fresh = o.code) }));
    expect(again.code).toBe(200);
    expect(fresh).toBe(200);
    expect(again.etag).not.toBe(first.etag);
    await expect
      .poll(() => kam.log(), { timeout: 5_000 })
      .toMatch(/REQ PUBLISH sip:dave@127\.0\.0\.1 .* etag=<null> expires=60[\s\S]*REQ PUBLISH sip:dave@127\.0\.0\.1 .* etag=<null>/);
    const w = await PresenceWatcher.open(kam.port);
    try {
      await w.subscribe('sip:dave@127.0.0.1', 'presence');
      await w.waitFor((b) => b.includes('<note>hello</note>'));
    } finally {
      w.close();
    }
  });

  it('423 Interval Too Brief → the same PUBLISH asking for Min-Expires', async () => {
    const out = await api.pua.sendPublish(publ('erin', { expires: 10 }, strict.port));
    expect(out.code).toBe(200);
    await expect
      .poll(() => strict.log(), { timeout: 5_000 })
      .toMatch(/REQ PUBLISH sip:erin@127\.0\.0\.1 .* expires=10[\s\S]*REQ PUBLISH sip:erin@127\.0\.0\.1 .* expires=30/);
    expect(out.record?.interval).toBe(30);
  });

  it('local errors: no body on an initial PUBLISH, UPDATE_TYPE with nothing stored, an unknown event', async () => {
    expect((await api.pua.sendPublish(publ('frank', { body: null }))).code).toBe(-1);
    expect((await api.pua.sendPublish(publ('frank', { flag: 2 }))).code).toBe(-1);
    const bad = await api.pua.sendPublish(publ('frank', { event: 1 << 20 }));
    expect(bad).toMatchObject({ code: -1, reason: 'pua send_publish: event flag 1048576 is not registered (add_event first)' });
  });
});
