/**
 * The real `tsips` binary with its default config (a stateful proxy: rr + tm + dialog), driven by sipp on
 * both sides: OPTIONS to the server itself, OPTIONS and full INVITE calls through it, the calls tracked as
 * dialogs, MI by the CLI, /metrics, and a clean shutdown on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@tsips/testkit';
import { startTsips, runTsips, type TsipsProcess } from '../support/tsips.js';
import { sipp, SCENARIOS, successfulCalls } from '../support/sipp.js';

let tsips: TsipsProcess;

beforeAll(async () => {
  tsips = await startTsips();
});
afterAll(async () => {
  await tsips?.stop();
});

describe('tsips default config (stateful proxy with dialogs) with sipp', () => {
  it('answers OPTIONS addressed to itself', async () => {
    const uacPort = await freePort();
    const uac = sipp([`127.0.0.1:${tsips.sipPort}`, '-sf', `${SCENARIOS}uac-options.xml`, '-s', 'tsips', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '3', '-r', '10']);
    const r = await uac.done;
    expect(r.code, r.out).toBe(0);
    expect(successfulCalls(r.out)).toBe(3);
  });

  it('relays OPTIONS to a sipp UAS', async () => {
    const [uasPort, uacPort] = [await freePort(), await freePort()];
    const uas = sipp(['-sf', `${SCENARIOS}uas-options.xml`, '-i', '127.0.0.1', '-p', String(uasPort), '-m', '3']);
    const uac = sipp([`127.0.0.1:${uasPort}`, '-sf', `${SCENARIOS}uac-options.xml`, '-rsa', `127.0.0.1:${tsips.sipPort}`, '-s', 'bob', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '3', '-r', '10']);
    const [a, b] = await Promise.all([uac.done, uas.done]);
    expect(a.code, a.out).toBe(0);
    expect(successfulCalls(a.out)).toBe(3);
    expect(b.code, b.out).toBe(0);
  });

  it('carries INVITE/ACK/BYE calls between sipp UAC and UAS, record-routing the dialog', async () => {
    const [uasPort, uacPort] = [await freePort(), await freePort()];
    const uas = sipp(['-sf', `${SCENARIOS}uas-call.xml`, '-i', '127.0.0.1', '-p', String(uasPort), '-m', '5']);
    const uac = sipp([`127.0.0.1:${uasPort}`, '-sf', `${SCENARIOS}uac-call.xml`, '-rsa', `127.0.0.1:${tsips.sipPort}`, '-s', 'bob', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '5', '-r', '20']);
    const [a, b] = await Promise.all([uac.done, uas.done]);
    expect(a.code, a.out).toBe(0);
    expect(successfulCalls(a.out)).toBe(5);
    expect(b.code, b.out).toBe(0);
  });

  it('reports its statistics through `tsips mi` and /metrics', async () => {
    const r = await runTsips(['mi', 'get_statistics', 'statistics=core:', '--url', tsips.miUrl]);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout) as Record<string, number>;
    // 3 OPTIONS to us + 3 relayed + 5 calls × (INVITE, ACK, BYE), retransmissions aside.
    expect(stats['core:rcv_requests']).toBeGreaterThanOrEqual(21);
    // Nothing of this run survived only thanks to the binary's last net (process-net.ts).
    expect(stats['core:unhandled_errors']).toBe(0);
    expect(stats['core:internal_errors']).toBe(0);
    const all = JSON.parse((await runTsips(['mi', 'get_statistics', 'statistics=all', '--url', tsips.miUrl])).stdout) as Record<string, number>;
    // Stateful: OPTIONS relayed + INVITE + BYE per call are server transactions; ACK for 2xx is not.
    expect(all['tm:UAS_transactions']).toBeGreaterThanOrEqual(3 + 5 * 2);
    expect(all['tm:inuse_transactions']).toBeGreaterThanOrEqual(0);
    // Every call was tracked as a dialog and has ended.
    expect(all['dialog:processed_dialogs']).toBe(5);
    expect(all['dialog:active_dialogs']).toBe(0);
    const dlgs = await runTsips(['mi', 'dlg_list', '--url', tsips.miUrl]);
    expect(dlgs.code, dlgs.stderr).toBe(0);
    const bad = await runTsips(['mi', 'no_such_command', '--url', tsips.miUrl]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/-32601/);
    const metrics = await (await fetch(`http://127.0.0.1:${tsips.miPort}/metrics`)).text();
    expect(metrics).toMatch(/^tsips_core_rcv_requests_total \d+/m);
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await tsips.stop('SIGTERM');
    expect(code).toBe(0);
    expect(tsips.output()).toContain('"msg":"tsips stopped"');
  });
});

describe('tsips start-up errors', () => {
  it('refuses a bad modparam, naming module and param', async () => {
    const r = await runTsips(['--config', 'test/fixtures/bad-param.config.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_MODULE_PARAM.*module "rr" param "append_fromtag"/);
  });

  it('refuses a module whose dependency is missing', async () => {
    const r = await runTsips(['--config', 'test/fixtures/missing-dep.config.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E_MODULE_DEP_MISSING: module "needs_tm" requires "tm", which is not loaded');
  });

  it('refuses a malformed listen socket', async () => {
    const r = await runTsips(['--listen', 'udp:127.0.0.1:99999']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/udp:127\.0\.0\.1:99999/);
  });
});

describe('tsips --config', () => {
  it('loads a TypeScript config that shares the server\'s own @core/sip (one copy of each package)', async () => {
    const t = await startTsips(['--config', 'test/fixtures/one-core.config.ts']);
    try {
      const uacPort = await freePort();
      const uac = sipp([`127.0.0.1:${t.sipPort}`, '-sf', `${SCENARIOS}uac-options.xml`, '-s', 'x', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '1', '-trace_msg', '-message_file', `/tmp/one-core-${uacPort}.log`]);
      const r = await uac.done;
      expect(r.code, r.out).toBe(0);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(`/tmp/one-core-${uacPort}.log`, 'utf8')).toContain('SIP/2.0 200 one core');
    } finally {
      await t.stop();
    }
  });
});
