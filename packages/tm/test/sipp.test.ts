import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSipp, type SippRun } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

const dir = fileURLToPath(new URL('./sipp/', import.meta.url));

interface Run {
  code: number | null;
  successful: number;
  failed: number;
}

/** The exit code and final call counters of a sipp run. */
async function result(run: SippRun): Promise<Run> {
  const { code, successful, failed } = await run.done;
  return { code, successful, failed };
}

let p: Proxy;
let uasPort: number;

beforeAll(async () => {
  // wt_timer at the doc's default: with losses, sipp's BYE retransmissions (0.5 s, 1.5 s, 3.5 s) must still
  // find the transaction to get the 200 again; once freed they would be relayed to a callee done with the call.
  p = await startProxy({ fr_timer: 5, fr_inv_timer: 10, wt_timer: 5, T1_timer: 500, T2_timer: 4000, T4_timer: 5000 });
  uasPort = await freePort();
  p.routes.request = async (ctx) => {
    if (ctx.has_totag()) {
      if (ctx.loose_route() > 0) return ctx.t_relay();
      if (ctx.is_method('ACK') && ctx.t_check_trans() > 0) return ctx.t_relay();
      return ctx.sl_send_reply(404, 'Not here');
    }
    if (ctx.is_method('CANCEL')) return ctx.t_relay();
    ctx.record_route();
    ctx.$du = `sip:127.0.0.1:${uasPort}`;
    return ctx.t_relay();
  };
});
afterAll(async () => {
  await p.stop();
});

async function call(calls: number, extra: string[], uacScenario: string, uasScenario: string): Promise<{ uac: Run; uas: Run }> {
  const cwd = await mkdtemp(join(tmpdir(), 'tsips-sipp-'));
  // Losses on the caller side only: a sipp UAS does not answer a retransmitted BYE once its call ended.
  const uas = await startSipp(['-sf', join(dir, uasScenario), '-p', String(uasPort), '-m', String(calls), '-trace_err'], { cwd });
  await uas.listening();
  const uac = await result(await startSipp(['-sf', join(dir, uacScenario), '-m', String(calls), '-r', '20', ...extra, '-trace_err', `127.0.0.1:${p.port}`], { cwd }));
  return { uac, uas: await result(uas) };
}

describe('sipp through the proxy', () => {
  it('completes basic calls (INVITE/180/200/ACK/BYE) with record-routing', async () => {
    const r = await call(5, [], 'call-uac.xml', 'call-uas.xml');
    expect(r.uac).toEqual({ code: 0, successful: 5, failed: 0 });
    expect(r.uas.code).toBe(0);
  }, 60_000);

  it('CANCELs ringing calls: 200 to the CANCEL, 487 to the INVITE relayed, ACK absorbed hop by hop', async () => {
    const before = p.stat('4xx_transactions');
    const r = await call(5, [], 'cancel-uac.xml', 'cancel-uas.xml');
    expect(r.uac).toEqual({ code: 0, successful: 5, failed: 0 });
    expect(r.uas.code).toBe(0); // sipp exits 0 only when every call passed (its stat file may lag)
    expect(p.stat('4xx_transactions') - before).toBe(5); // the five INVITEs ended 487
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 8000 }).toBe(0);
  }, 60_000);

  it('completes every call when sipp drops 10% of the packets (retransmissions on both sides)', async () => {
    // The caller loses 10% of what it sends and receives: the proxy absorbs its retransmitted INVITEs and
    // BYEs (resending the last reply) and relays retransmitted 200s.
    const r = await call(10, ['-lost', '10'], 'call-uac.xml', 'call-uas.xml');
    expect(r.uac.successful).toBe(10);
    expect(r.uac.failed).toBe(0);
  }, 90_000);
});
