/** pua_publish / pua_subscribe through MI against Kamailio presence; a watcher at Kamailio sees what was published. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiError, SipServer } from '@core/sip';
import tm from '@mod/tm';
import pua from '@mod/pua';
import { startPresenceServer, PresenceWatcher, type KamailioServer } from '@tsips/testkit';
import puaMi from '../src/index.js';

let kam: KamailioServer;
let server: SipServer;
const mi = (cmd: string, p: Record<string, unknown>) => server.mi.call(cmd, p);
const pidf = (note: string) =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:ivy@127.0.0.1"><tuple id="i"><status><basic>open</basic></status><note>${note}</note></tuple></presence>`;

beforeAll(async () => {
  kam = await startPresenceServer();
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, pua, puaMi],
    modparams: { tm: { fr_timer: 2 }, pua: { min_expires: 0, consume_notify: 1 }, pua_mi: { presence_server: `sip:127.0.0.1:${kam.port}` } },
    routes: { request: (ctx) => void ctx.sl_send_reply(404, 'Not here') },
  });
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await kam?.stop();
});

async function rejects(p: Promise<unknown>): Promise<MiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MiError)) throw new Error(`expected an MiError, got ${String(err)}`);
  return err;
}

describe('pua_mi', () => {
  it('pua_publish: initial with body → 200 + etag; refresh by etag; modify; remove; a watcher sees each', async () => {
    const base = { presentity_uri: 'sip:ivy@127.0.0.1', event_package: 'presence' };
    const first = (await mi('pua_publish', { ...base, expires: 60, content_type: 'application/pidf+xml', body: pidf('one'), extra_headers: 'X-Tag: mi\\r\\n' })) as {
      code: number;
      etag: string;
    };
    expect(first.code).toBe(200);
    expect(first.etag).toMatch(/\S/);
    const w = await PresenceWatcher.open(kam.port);
    try {
      await w.subscribe('sip:ivy@127.0.0.1', 'presence');
      await w.waitFor((b) => b.includes('<note>one</note>'));
      const refresh = (await mi('pua_publish', { ...base, expires: 60, etag: first.etag })) as { code: number; etag: string };
      expect(refresh.code).toBe(200);
      await expect.poll(() => kam.log(), { timeout: 5_000 }).toMatch(new RegExp(`REQ PUBLISH sip:ivy@127\\.0\\.0\\.1 .* etag=${first.etag}`));
      const mod = (await mi('pua_publish', { ...base, expires: 60, content_type: 'application/pidf+xml', body: pidf('two') })) as { code: number; etag: string };
      expect(mod.code).toBe(200);
      await w.waitFor((b) => b.includes('<note>two</note>'));
      const n = w.notifies.length;
      expect(((await mi('pua_publish', { ...base, expires: 0 })) as { code: number }).code).toBe(200);
      await w.waitFor((b) => !b.includes('<note>two</note>'), 10_000, n);
    } finally {
      w.close();
    }
  });

  it('pua_subscribe: 200 and a dialog; expires 0 ends it', async () => {
    const p = { presentity_uri: 'sip:jo@127.0.0.1', watcher_uri: 'sip:mon@127.0.0.1', event_package: 'presence' };
    expect(await mi('pua_subscribe', { ...p, expires: 60 })).toEqual({ code: 200, reason: 'OK' });
    expect(await mi('pua_subscribe', { ...p, expires: 0 })).toEqual({ code: 200, reason: 'OK' });
    const again = await rejects(mi('pua_subscribe', { ...p, expires: 0 }));
    expect(again.message).toBe('no such subscription');
  });

  it('bad parameters are JSON-RPC errors naming the parameter', async () => {
    const base = { presentity_uri: 'sip:kim@127.0.0.1', event_package: 'presence', expires: 60 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, presentity_uri: 'kim' }, 'parameter "presentity_uri" must be a sip: URI, not "kim"'],
      [{ ...base, expires: 'soon' }, 'parameter "expires" must be an integer >= -1, not "soon"'],
      [{ ...base, event_package: 'weather' }, 'parameter "event_package" "weather" is not an event pua knows'],
      [{ ...base, body: '<x/>' }, 'parameter "content_type" is needed with a body'],
      [{ ...base }, 'parameter "body" is needed for an initial PUBLISH (no etag given and none stored)'],
    ];
    for (const [params, msg] of cases) {
      const e = await rejects(mi('pua_publish', params));
      expect(e.code).toBe(-32602);
      expect(e.message).toBe(msg);
    }
    const e = await rejects(mi('pua_subscribe', { presentity_uri: 'sip:kim@127.0.0.1', watcher_uri: 'nope', event_package: 'presence', expires: 60 }));
    expect(e.message).toBe('parameter "watcher_uri" must be a sip: URI, not "nope"');
  });
});
