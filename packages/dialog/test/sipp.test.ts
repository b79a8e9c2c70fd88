/** A sipp caller and callee through the proxy with dialog tracking: every call is tracked and ends cleanly. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSipp } from '@tsips/testkit';
import { Proxy } from './proxy.js';

const dir = fileURLToPath(new URL('./sipp/', import.meta.url));

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start({ tm: { fr_timer: 5, fr_inv_timer: 10, wt_timer: 1 } });
});
afterAll(async () => {
  await p.stop();
});

describe('sipp calls with dialog tracking', () => {
  it('tracks 10 concurrent calls from INVITE to BYE', async () => {
    const calls = 10;
    const uasPort = await freePort();
    p.calleePort = uasPort;
    let maxActive = 0;
    p.server.events.subscribe('E_DLG_STATE_CHANGED', () => void (maxActive = Math.max(maxActive, p.stat('active_dialogs'))));
    const processed = p.stat('processed_dialogs');
    const uas = await startSipp(['-sf', join(dir, 'uas.xml'), '-p', String(uasPort), '-m', String(calls)]);
    await uas.listening();
    const uac = await (await startSipp(['-sf', join(dir, 'uac.xml'), '-m', String(calls), '-r', '20', '-s', 'bob', `127.0.0.1:${p.port}`])).done;
    expect({ code: uac.code, ok: uac.successful, failed: uac.failed }).toEqual({ code: 0, ok: calls, failed: 0 });
    expect((await uas.done).code).toBe(0);
    expect(p.stat('processed_dialogs')).toBe(processed + calls);
    // Calls of 1 s started at 20/s overlap: several were confirmed at once.
    expect(maxActive).toBeGreaterThanOrEqual(5);
    await expect.poll(() => p.stat('active_dialogs')).toBe(0);
    // An ended dialog stays listed until its BYE transaction is freed (wt_timer, 1 s here): wait that long.
    await expect.poll(async () => ((await p.mi('dlg_list')) as { Dialogs: unknown[] }).Dialogs, { timeout: 3000 }).toEqual([]);
    const ended = p.events.filter((e) => e['new_state'] === 5).length;
    expect(ended).toBe(calls);
    const confirmed = new Set(p.cbs.filter((c) => c.type === 'DLGCB_CONFIRMED').map((c) => c.callid));
    expect(confirmed.size).toBe(calls);
    expect(p.cbs.filter((c) => c.type === 'DLGCB_TERMINATED' && c.msg === 'BYE')).toHaveLength(calls);
  }, 60_000);
});
