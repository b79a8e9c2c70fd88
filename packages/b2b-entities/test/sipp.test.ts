/** UA sessions started over MI against sipp UASes: re-INVITE, UPDATE, OPTIONS, BYE; reliable 183 with PRACK in both modes. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { B2bServer, SDP } from './helpers.js';
import { runSipp, sippUas } from './sipp.js';

const scenario = (n: string) => fileURLToPath(new URL(`./sipp/${n}`, import.meta.url));

const uasOn = (file: string) => sippUas(scenario(file));

async function start(h: B2bServer, port: number): Promise<string> {
  return (await h.mi('ua_session_client_start', {
    ruri: `sip:service@127.0.0.1:${port}`,
    to: 'sip:service@127.0.0.1',
    from: 'Alice,sip:alice@127.0.0.1',
    body: SDP,
    flags: 'r',
  })) as string;
}

describe('sipp UAS, passthru_prack 0', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start();
  });
  afterAll(() => h.stop());

  it('a session started over MI is updated (re-INVITE, UPDATE, OPTIONS) and terminated', async () => {
    const uas = await uasOn('uas-session.xml');
    const key = await start(h, uas.port);
    await expect.poll(() => h.eventsOf(key)).toEqual(['ANSWERED:INVITE:200']);
    await h.mi('ua_session_update', { key, method: 'INVITE', body: SDP });
    await expect.poll(() => h.eventsOf(key).length).toBe(2);
    await h.mi('ua_session_update', { key, method: 'UPDATE' });
    await expect.poll(() => h.eventsOf(key).length).toBe(3);
    await h.mi('ua_session_update', { key, method: 'OPTIONS' });
    await expect.poll(() => h.eventsOf(key).length).toBe(4);
    await h.mi('ua_session_terminate', { key });
    const r = await uas.done;
    expect({ code: r.code, ok: r.ok, failed: r.failed }, r.out).toEqual({ code: 0, ok: 1, failed: 0 });
    expect(h.eventsOf(key)).toEqual(['ANSWERED:INVITE:200', 'ANSWERED:INVITE:200', 'ANSWERED:UPDATE:200', 'ANSWERED:OPTIONS:200', 'ANSWERED:BYE:200']);
    expect(await h.mi('ua_session_list')).toEqual([]);
  });

  it('a reliable 183 is PRACKed here, then the call is answered and ended', async () => {
    const uas = await uasOn('uas-prack.xml');
    const key = await start(h, uas.port);
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:183', 'ANSWERED:INVITE:200']);
    await h.mi('ua_session_terminate', { key });
    const r = await uas.done;
    expect({ code: r.code, ok: r.ok, failed: r.failed }, r.out).toEqual({ code: 0, ok: 1, failed: 0 });
  });
});

describe('sipp UAS, passthru_prack 1', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start({ passthru_prack: 1 });
  });
  afterAll(() => h.stop());

  it('the PRACK waits for ua_session_update(PRACK) from the owner', async () => {
    const uas = await uasOn('uas-prack.xml');
    const key = await start(h, uas.port);
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:183']);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.eventsOf(key)).toEqual(['EARLY:INVITE:183']); // no PRACK sent: no answer either
    await h.mi('ua_session_update', { key, method: 'PRACK' });
    await expect.poll(() => h.eventsOf(key)).toEqual(['EARLY:INVITE:183', 'ANSWERED:PRACK:200', 'ANSWERED:INVITE:200']);
    await h.mi('ua_session_terminate', { key });
    const r = await uas.done;
    expect({ code: r.code, ok: r.ok, failed: r.failed }, r.out).toEqual({ code: 0, ok: 1, failed: 0 });
  });
});

describe('sipp caller that never hangs up', () => {
  let h: B2bServer;
  beforeAll(async () => {
    h = await B2bServer.start({ ua_default_timeout: 1 });
  });
  afterAll(() => h.stop());

  it('ua_default_timeout sends the BYE for 10 calls; every session ends', async () => {
    const r = await runSipp(['-sf', scenario('uac-timeout.xml'), '-m', '10', '-r', '10', `127.0.0.1:${h.port}`], 30);
    expect({ code: r.code, ok: r.ok, failed: r.failed }, r.out).toEqual({ code: 0, ok: 10, failed: 0 });
    await expect.poll(async () => (await h.mi('ua_session_list')) as unknown[]).toEqual([]);
    expect(h.events.filter((e) => e['event_type'] === 'NEW')).toHaveLength(10);
  });
});
