/**
 * apps/server/examples/blf-proxy.ts run by the real `tsips` binary against a Kamailio presence server:
 * a sipp call through it makes a watcher subscribed at Kamailio for the caller receive early, confirmed
 * and terminated dialog-info NOTIFYs; MI pua_publish answers with Kamailio's reply code and ETag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPresenceServer, PresenceWatcher, type KamailioServer } from '@tsips/testkit';
import { startTsips, type TsipsProcess } from '../support/tsips.js';
import { callsThrough } from '../support/sipp.js';

let kam: KamailioServer;
let tsips: TsipsProcess;

beforeAll(async () => {
  kam = await startPresenceServer();
  process.env['PRESENCE_SERVER'] = `sip:127.0.0.1:${kam.port}`;
  tsips = await startTsips(['--config', 'apps/server/examples/blf-proxy.ts'], { listen: (p) => [`udp:127.0.0.1:${p}`] });
}, 60_000);

afterAll(async () => {
  await tsips?.stop();
  await kam?.stop();
  delete process.env['PRESENCE_SERVER'];
});

const state = (s: string) => (b: string) => b.includes(`<state>${s}</state>`);

describe('examples/blf-proxy.ts', () => {
  it("publishes the caller's call states to the presence server", async () => {
    const w = await PresenceWatcher.open(kam.port);
    try {
      await w.subscribe('sip:sipp@127.0.0.1', 'dialog');
      await w.waitFor(() => true);
      const { uac: a, uas: b } = await callsThrough(tsips.sipPort, { kind: 'call', calls: 1 });
      expect(a.code, a.out).toBe(0);
      expect(b.code, b.out).toBe(0);
      const early = await w.waitFor(state('early'));
      const conf = await w.waitFor(state('confirmed'), 10_000, early.index + 1);
      await w.waitFor(state('terminated'), 10_000, conf.index + 1);
    } finally {
      w.close();
    }
  });

  it('MI pua_publish goes to PRESENCE_SERVER and answers its code and ETag', async () => {
    const res = await fetch(`http://127.0.0.1:${tsips.miPort}/mi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'pua_publish',
        params: {
          presentity_uri: 'sip:mia@127.0.0.1',
          expires: 60,
          event_package: 'presence',
          content_type: 'application/pidf+xml',
          body: '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:mia@127.0.0.1"><tuple id="m"><status><basic>open</basic></status></tuple></presence>',
        },
      }),
    });
    const json = (await res.json()) as { result: { code: number; etag: string } };
    expect(json.result.code).toBe(200);
    expect(json.result.etag).toMatch(/\S/);
  });
});
