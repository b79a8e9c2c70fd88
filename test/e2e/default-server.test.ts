/**
 * The real `tsips` binary with its default config (a stateful proxy: rr + tm + dialog), driven by sipp on
 * both sides: OPTIONS to the server itself, OPTIONS and full INVITE calls through it, the calls tracked as
 * dialogs, MI by the CLI, /metrics, and a clean shutdown on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miCall } from '@core/sip';
import { freePort, startSipp } from '@tsips/testkit';
import { startTsips, runTsips, type TsipsProcess } from '../support/tsips.js';
import { sipp, callsThrough, SCENARIOS, successfulCalls } from '../support/sipp.js';

describe('tsips default config (stateful proxy with dialogs) with sipp', () => {
  let tsips: TsipsProcess;
  beforeAll(async () => {
    tsips = await startTsips();
  });
  afterAll(async () => {
    await tsips?.stop();
  });

  it('answers OPTIONS addressed to itself', async () => {
    const uacPort = await freePort();
    const uac = sipp([
      `127.0.0.1:${tsips.sipPort}`,
      '-sf',
      `${SCENARIOS}uac-options.xml`,
      '-s',
      'tsips',
      '-i',
      '127.0.0.1',
      '-p',
      String(uacPort),
      '-m',
      '3',
      '-r',
      '10',
    ]);
    const r = await uac.done;
    expect(r.code, r.out).toBe(0);
    expect(successfulCalls(r.out)).toBe(3);
  });

  it('relays OPTIONS to a sipp UAS', async () => {
    const { uac, uas } = await callsThrough(tsips.sipPort, { kind: 'options', calls: 3, rate: 10 });
    expect(uac.code, uac.out).toBe(0);
    expect(uac.successful).toBe(3);
    expect(uas.code, uas.out).toBe(0);
  });

  it('carries INVITE/ACK/BYE calls between sipp UAC and UAS, record-routing the dialog', async () => {
    const { uac, uas } = await callsThrough(tsips.sipPort, { kind: 'call', calls: 5, rate: 20 });
    expect(uac.code, uac.out).toBe(0);
    expect(uac.successful).toBe(5);
    expect(uas.code, uas.out).toBe(0);
  });
});

describe('tsips statistics', () => {
  it('reports exactly the traffic it carried through `tsips mi` and /metrics', async () => {
    // A server of its own, so the counters hold this test's traffic only. The callers use TCP: sipp does not
    // retransmit over a reliable transport, so each request reaches tsips exactly once.
    const t = await startTsips();
    try {
      const ping = await startSipp([`127.0.0.1:${t.sipPort}`, '-sf', `${SCENARIOS}uac-options.xml`, '-s', 'tsips', '-t', 't1', '-m', '2']);
      const r = await ping.done;
      expect(r.code, r.out).toBe(0);
      const { uac, uas } = await callsThrough(t.sipPort, { kind: 'call', calls: 3, rate: 20, uacArgs: ['-t', 't1'] });
      expect(uac.code, uac.out).toBe(0);
      expect(uas.code, uas.out).toBe(0);
      // Every transaction freed (the BYEs' after wt_timer): from then on the counters no longer move.
      const stat = async (name: string) => ((await miCall(t.miUrl, 'get_statistics', { statistics: [name] })) as Record<string, number>)[name];
      await expect.poll(() => stat('tm:inuse_transactions'), { timeout: 30_000 }).toBe(0);

      const cli = await runTsips(['mi', 'get_statistics', 'statistics=all', '--url', t.miUrl]);
      expect(cli.code, cli.stderr).toBe(0);
      const all = JSON.parse(cli.stdout) as Record<string, number>;
      expect(all).toMatchObject({
        // 2 OPTIONS to itself + 3 calls × (INVITE, ACK, BYE).
        'core:rcv_requests': 2 + 3 * 3,
        // Stateful: the INVITE and BYE of each call are server transactions; OPTIONS to itself is answered by sl.
        'tm:UAS_transactions': 3 * 2,
        'tm:inuse_transactions': 0,
        // Every call was tracked as a dialog and has ended.
        'dialog:processed_dialogs': 3,
        'dialog:active_dialogs': 0,
        // Nothing of this run survived only thanks to the binary's last net (process-net.ts).
        'core:unhandled_errors': 0,
        'core:internal_errors': 0,
      });
      expect(await miCall(t.miUrl, 'dlg_list')).toEqual({ Dialogs: [] });
      const bad = await runTsips(['mi', 'no_such_command', '--url', t.miUrl]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/-32601/);
      const metrics = await (await fetch(`http://127.0.0.1:${t.miPort}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^tsips_core_rcv_requests_total ${2 + 3 * 3}$`, 'm'));
    } finally {
      await t.stop();
    }
  }, 60_000);
});

describe('tsips shutdown', () => {
  it('stops cleanly on SIGTERM', async () => {
    const t = await startTsips();
    const code = await t.stop('SIGTERM');
    expect(code).toBe(0);
    expect(t.output()).toContain('"msg":"tsips stopped"');
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
  it("loads a TypeScript config that shares the server's own @core/sip (one copy of each package)", async () => {
    const t = await startTsips(['--config', 'test/fixtures/one-core.config.ts']);
    try {
      const uacPort = await freePort();
      const uac = sipp([
        `127.0.0.1:${t.sipPort}`,
        '-sf',
        `${SCENARIOS}uac-options.xml`,
        '-s',
        'x',
        '-i',
        '127.0.0.1',
        '-p',
        String(uacPort),
        '-m',
        '1',
        '-trace_msg',
        '-message_file',
        `/tmp/one-core-${uacPort}.log`,
      ]);
      const r = await uac.done;
      expect(r.code, r.out).toBe(0);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(`/tmp/one-core-${uacPort}.log`, 'utf8')).toContain('SIP/2.0 200 one core');
    } finally {
      await t.stop();
    }
  });
});
