/**
 * BLF end to end: sipp calls sipp through a tsips proxy (tm + rr + dialog + pua + pua_dialoginfo, with
 * dialoginfo_set() on the initial INVITE); watchers subscribed at Kamailio (presence_dialoginfo) for the
 * caller and the callee receive early, confirmed and terminated NOTIFYs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, type RouteContext } from '@core/sip';
import tm from '@mod/tm';
import rr from '@mod/rr';
import dialog from '@mod/dialog';
import pua from '@mod/pua';
import { freePort, startPresenceServer, startSipp, PresenceWatcher, type KamailioServer } from '@tsips/testkit';
import dialoginfo, { dialogInfoXml } from '../src/index.js';

let kam: KamailioServer;
let server: SipServer;
let uasPort = 0;

async function route(ctx: RouteContext): Promise<void> {
  if (ctx.has_totag()) {
    // sipp's built-in uac sends its BYE without the Route set: match the dialog by Call-ID and tags.
    if (ctx.loose_route() < 0) ctx.match_dialog();
    ctx.$du = `sip:127.0.0.1:${uasPort}`;
    await ctx.t_relay();
    return;
  }
  if (ctx.is_method('INVITE')) {
    ctx.record_route();
    if (ctx.dialoginfo_set() < 0) throw new Error('dialoginfo_set failed');
  }
  ctx.$du = `sip:127.0.0.1:${uasPort}`;
  await ctx.t_relay();
}

beforeAll(async () => {
  kam = await startPresenceServer();
  uasPort = await freePort();
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [tm, rr, dialog, pua, dialoginfo],
    modparams: { tm: { fr_timer: 2 }, dialog: { dlg_match_mode: 1 }, pua: { min_expires: 0 }, pua_dialoginfo: { presence_server: `sip:127.0.0.1:${kam.port}` } },
    routes: { request: route },
  });
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await kam?.stop();
});

const state = (s: string) => (b: string) => b.includes(`<state>${s}</state>`);

describe('pua_dialoginfo', () => {
  it('dialog-info documents follow RFC 4235 and the include_* options', () => {
    const side = { entity: 'sip:a@x', peer: 'sip:b@x', initiator: true, callId: 'c1', localTag: 't1', remoteTag: 't2', state: 'early' as const };
    expect(dialogInfoXml(side, 3, { includeCallid: true, includeLocalremote: true, includeTags: true })).toBe(
      '<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:a@x"><dialog id="c1" call-id="c1" local-tag="t1" remote-tag="t2" direction="initiator"><state>early</state><local><identity>sip:a@x</identity><target uri="sip:a@x"/></local><remote><identity>sip:b@x</identity><target uri="sip:b@x"/></remote></dialog></dialog-info>',
    );
    expect(dialogInfoXml({ ...side, initiator: false }, 1, { includeCallid: false, includeLocalremote: false, includeTags: false })).toContain(
      '<dialog id="c1" direction="recipient"><state>early</state></dialog>',
    );
  });

  it("a call through the proxy: the caller's and callee's watchers get early, confirmed, terminated", async () => {
    const caller = await PresenceWatcher.open(kam.port);
    const callee = await PresenceWatcher.open(kam.port);
    try {
      await caller.subscribe('sip:sipp@127.0.0.1', 'dialog');
      await callee.subscribe('sip:bob@127.0.0.1', 'dialog');
      await caller.waitFor(() => true);
      await callee.waitFor(() => true);
      const uas = await startSipp(['-sn', 'uas', '-p', String(uasPort), '-m', '1']);
      await uas.listening();
      const uac = await startSipp(['-sn', 'uac', '-m', '1', '-d', '1500', '-s', 'bob', `127.0.0.1:${server.sockets[0]!.port}`]);
      const done = await uac.done;
      expect({ code: done.code, ok: done.successful }).toEqual({ code: 0, ok: 1 });
      for (const w of [caller, callee]) {
        const early = await w.waitFor(state('early'));
        const conf = await w.waitFor(state('confirmed'), 10_000, early.index + 1);
        await w.waitFor(state('terminated'), 10_000, conf.index + 1);
      }
      expect((await uas.done).code).toBe(0);
      const early = await caller.waitFor(state('early'));
      expect(early.body).toContain('direction="initiator"');
      expect(early.body).toMatch(/<identity>sip:bob@127\.0\.0\.1:\d+<\/identity>/);
      expect((await callee.waitFor(state('early'))).body).toContain('direction="recipient"');
    } finally {
      caller.close();
      callee.close();
    }
  });
});
