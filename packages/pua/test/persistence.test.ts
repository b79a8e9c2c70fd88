/**
 * Records written to MariaDB every update_period and reloaded at start: a restarted tsips refreshes its live
 * publications at once (and republishes the stored body when the presence server forgot the ETag), and
 * drops the expired ones (OpenSIPS #3802, #240).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dbMysql, { MysqlDriver } from '@mod/db-mysql';
import { startMariaDb, startPresenceServer, PresenceWatcher, type KamailioServer, type MariaDbServer } from '@tsips/testkit';
import { PUA_EVENT, PUA_SOURCE } from '../src/index.js';
import { startPua } from './harness.js';

let maria: MariaDbServer;
let kam: KamailioServer;

beforeAll(async () => {
  maria = await startMariaDb();
  kam = await startPresenceServer();
}, 120_000);

afterAll(async () => {
  await kam?.stop();
  await maria?.stop();
});

const pidf = (note: string) =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:lee@127.0.0.1"><tuple id="l"><status><basic>open</basic></status><note>${note}</note></tuple></presence>`;

describe('pua DB persistence (MariaDB)', () => {
  it('writes every update_period; after a restart live records are refreshed, a forgotten ETag republished, expired rows deleted', async () => {
    const params = { db_url: maria.url, update_period: 1 };
    const a = await startPua(params, [dbMysql]);
    const proxy = `sip:127.0.0.1:${kam.port}`;
    const lee = await a.api.pua.sendPublish({
      presUri: 'sip:lee@127.0.0.1',
      body: pidf('persisted'),
      expires: 120,
      sourceFlag: PUA_SOURCE.MI_PUBLISH,
      event: PUA_EVENT.PRESENCE_EVENT,
      outboundProxy: proxy,
    });
    const max = await a.api.pua.sendPublish({
      presUri: 'sip:max@127.0.0.1',
      body: pidf('short'),
      expires: 120,
      sourceFlag: PUA_SOURCE.MI_PUBLISH,
      event: PUA_EVENT.PRESENCE_EVENT,
      outboundProxy: proxy,
    });
    expect([lee.code, max.code]).toEqual([200, 200]);
    const db = await new MysqlDriver().open(maria.url);
    try {
      // The timer wrote both, without a stop.
      await expect
        .poll(async () => (await db.select('pua', {}, { orderBy: 'pres_uri' })).map((r) => [r['pres_uri'], r['etag']]), { timeout: 5_000 })
        .toEqual([
          ['sip:lee@127.0.0.1', lee.etag],
          ['sip:max@127.0.0.1', max.etag],
        ]);
      await a.server.stop();
      // While tsips is down: max's row has expired; lee's ETag is forgotten by Kamailio.
      expect(await db.update('pua', { pres_uri: 'sip:max@127.0.0.1' }, { expires: Math.floor(Date.now() / 1000) - 1 })).toBe(1);
      const b0 = await startPua({}, []);
      const gone = await b0.api.tm.request({
        method: 'PUBLISH',
        ruri: 'sip:lee@127.0.0.1',
        from: '<sip:lee@127.0.0.1>',
        to: '<sip:lee@127.0.0.1>',
        dstUri: proxy,
        headers: [
          ['Event', 'presence'],
          ['Expires', '0'],
          ['SIP-If-Match', lee.etag!],
        ],
      }).done;
      await b0.server.stop();
      expect(gone.code).toBe(200);

      const b = await startPua(params, [dbMysql]);
      try {
        // lee: refreshed with its stored ETag at once → 412 → the stored body published again.
        await expect
          .poll(() => kam.log(), { timeout: 8_000 })
          .toMatch(
            new RegExp(`REQ PUBLISH sip:lee@127\\.0\\.0\\.1 .* etag=${lee.etag} expires=120[\\s\\S]*REQ PUBLISH sip:lee@127\\.0\\.0\\.1 .* etag=<null> expires=120`),
          );
        const rec = () => [...b.api.pua.records()].find((r) => r.presUri === 'sip:lee@127.0.0.1');
        await expect.poll(() => rec()?.etag !== lee.etag && rec()?.etag !== undefined, { timeout: 5_000 }).toBe(true);
        expect([...b.api.pua.records()].map((r) => r.presUri)).toEqual(['sip:lee@127.0.0.1']);
        await expect.poll(async () => (await db.select('pua')).map((r) => r['pres_uri']), { timeout: 5_000 }).toEqual(['sip:lee@127.0.0.1']);
        const w = await PresenceWatcher.open(kam.port);
        try {
          await w.subscribe('sip:lee@127.0.0.1', 'presence');
          await w.waitFor((body) => body.includes('<note>persisted</note>'));
        } finally {
          w.close();
        }
      } finally {
        await b.server.stop();
      }
    } finally {
      await db.close();
    }
  }, 60_000);
});
