/** apps/server/examples/b2b-uas.ts under sipp's built-in UAC: every call answered, its events counted per type. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SipServer } from '@core/sip';
import { b2bUas } from '../../apps/server/examples/b2b-uas.js';
import { runSipp } from '../../packages/b2b-entities/test/sipp.js';

let server: SipServer;
beforeAll(async () => {
  server = new SipServer({ ...b2bUas({ listen: 'udp:127.0.0.1:0', log: { level: 'silent' } }), mi: false });
  await server.start();
});
afterAll(() => server.stop());

it('answers 60 sipp calls at 30 cps; NEW, UPDATED (ACK) and TERMINATED (BYE) counted once per call; no session left', async () => {
  const calls = 60;
  const r = await runSipp(['-sn', 'uac', '-m', String(calls), '-r', '30', '-d', '200', `127.0.0.1:${server.sockets[0]!.port}`]);
  expect({ code: r.code, ok: r.ok, failed: r.failed }, r.out).toEqual({ code: 0, ok: calls, failed: 0 });
  await expect.poll(() => server.mi.call('ua_session_counts', {})).toEqual({ NEW: calls, EARLY: 0, ANSWERED: 0, REJECTED: 0, UPDATED: calls, TERMINATED: calls });
  expect(await server.mi.call('ua_session_list', {})).toEqual([]);
  expect(await server.mi.call('b2be_list', {})).toEqual([]);
});
