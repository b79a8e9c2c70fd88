import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpPeer } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

const dir = fileURLToPath(new URL('./sipp/', import.meta.url));

interface Run {
  code: number | null;
  successful: number;
  failed: number;
}

/** Runs sipp in the foreground with a bounded call count; reads the final counters from its stat file. */
async function sipp(args: string[], cwd: string): Promise<Run> {
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('sipp', ['-nostdin', '-trace_err', '-trace_stat', '-fd', '1', '-timeout', '30s', ...args], { cwd, stdio: 'ignore' });
    child.on('exit', (c) => resolve(c));
  });
  const file = (await readdir(cwd)).find((f) => f.endsWith('_.csv') && f.includes(args.includes('uas') ? 'uas' : 'uac'));
  let successful = 0;
  let failed = 0;
  if (file !== undefined) {
    const lines = (await readFile(join(cwd, file), 'utf8')).trim().split('\n');
    const head = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    successful = Number(last[head.indexOf('SuccessfulCall(C)')]);
    failed = Number(last[head.indexOf('FailedCall(C)')]);
  }
  return { code, successful, failed };
}

async function freePort(): Promise<number> {
  const p = await UdpPeer.open();
  const port = p.port;
  p.close();
  return port;
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
  const uas = sipp(['-sf', join(dir, uasScenario), '-i', '127.0.0.1', '-p', String(uasPort), '-m', String(calls), '-stf', 'uas_.csv'], cwd);
  await new Promise((r) => setTimeout(r, 300));
  const uac = await sipp(['-sf', join(dir, uacScenario), '-i', '127.0.0.1', '-p', String(await freePort()), '-m', String(calls), '-r', '20', ...extra, '-stf', 'uac_.csv', `127.0.0.1:${p.port}`], cwd);
  return { uac, uas: await uas };
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
