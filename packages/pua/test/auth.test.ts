/** Digest auth of PUBLISH and SUBSCRIBE through @mod/uac-auth, against Kamailio presence behind its auth module. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipServer } from '@core/sip';
import uacAuth from '@mod/uac-auth';
import { startPresenceServer, type KamailioServer } from '@tsips/testkit';
import { PUA_EVENT, PUA_SOURCE } from '../src/index.js';
import { startPua, type Bound } from './harness.js';

let kam: KamailioServer;
let server: SipServer;
let api: Bound;

beforeAll(async () => {
  kam = await startPresenceServer({ authRealm: 'pres.test' });
  ({ server, api } = await startPua({ consume_notify: 1 }, [uacAuth], undefined, { uac_auth: { credential: 'alice:pres.test:pw-alice' } }));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await kam?.stop();
});

describe('pua with uac_auth', () => {
  it('a 401 to PUBLISH and to SUBSCRIBE is answered with the credential and the request succeeds', async () => {
    const proxy = `sip:127.0.0.1:${kam.port}`;
    const body =
      '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@127.0.0.1"><tuple id="a"><status><basic>open</basic></status></tuple></presence>';
    const pub = await api.pua.sendPublish({
      presUri: 'sip:alice@127.0.0.1',
      body,
      expires: 60,
      sourceFlag: PUA_SOURCE.MI_PUBLISH,
      event: PUA_EVENT.PRESENCE_EVENT,
      outboundProxy: proxy,
    });
    expect(pub.code).toBe(200);
    const sub = await api.pua.sendSubscribe({
      presUri: 'sip:alice@127.0.0.1',
      watcherUri: 'sip:alice@127.0.0.1',
      event: PUA_EVENT.PRESENCE_EVENT,
      expires: 60,
      sourceFlag: PUA_SOURCE.MI_SUBSCRIBE,
      outboundProxy: proxy,
    });
    expect(sub.code).toBe(200);
    // The refresh inside the dialog is challenged again and answered (CSeq grown by the retry).
    const re = await api.pua.sendSubscribe({
      presUri: 'sip:alice@127.0.0.1',
      watcherUri: 'sip:alice@127.0.0.1',
      event: PUA_EVENT.PRESENCE_EVENT,
      expires: 60,
      sourceFlag: PUA_SOURCE.MI_SUBSCRIBE,
    });
    expect(re.code).toBe(200);
    expect(re.record?.cseq).toBe(4);
  });

  it('without uac_auth the 401 is the outcome', async () => {
    const bare = await startPua();
    try {
      const out = await bare.api.pua.sendPublish({
        presUri: 'sip:bob@127.0.0.1',
        body: '<x/>',
        expires: 60,
        sourceFlag: PUA_SOURCE.MI_PUBLISH,
        event: PUA_EVENT.PRESENCE_EVENT,
        outboundProxy: `sip:127.0.0.1:${kam.port}`,
      });
      expect(out.code).toBe(401);
      expect([...bare.api.pua.records()]).toEqual([]);
    } finally {
      await bare.server.stop();
    }
  });
});
