#!/usr/bin/env node
/**
 * Dialog memory: heap and RSS per confirmed dialog with --dialogs concurrent dialogs (default 50,000) in
 * tsips with tm + rr + dialog (create_dialog on every initial INVITE, bench/configs/tsips-proxy.mjs with
 * TSIPS_BENCH_DIALOG=1). sipp sets up the calls and holds them; once active_dialogs reaches the count and
 * the INVITE transactions have expired, heap (after a full GC) and RSS are compared with the idle server's.
 * Skipped, and recorded as skipped, while @mod/dialog or @mod/tm is not built. Target: ≤ 2 KB heap/dialog.
 *
 *   node bench/dialog-memory.mjs [--dialogs 50000] [--rate 2000] [--settle-s 8]
 */
import { join } from 'node:path';
import { arg, fmt, mdTable, RESULTS_DIR, writeResult } from './lib/results.mjs';
import { ensureCommand, procStat, sleep, SERVERS, startServer, stop, tsipsMemory, waitUdp } from './lib/procs.mjs';
import { UAC_PORT, UAS_PORT, readStats, startUac, startUas } from './lib/sipp.mjs';
import { loadDialog, loadTm } from './configs/tsips-proxy.mjs';

const DIALOGS = Number(arg('dialogs', 50_000));
const RATE = Number(arg('rate', 2000));
const SETTLE_S = Number(arg('settle-s', 8));
const MEM_FILE = join(RESULTS_DIR, '.run', 'tsips-mem.json');
const TARGET_BYTES = 2048;

function skip(why) {
  const line = `skipped: ${why}`;
  process.stdout.write(`${line}\n`);
  writeResult('dialog-memory', { skipped: why, dialogs: DIALOGS }, `## Dialog memory\n\n${line}. Target: ≤ 2 KB heap per confirmed dialog at ${fmt(DIALOGS)} dialogs: not measured.`);
  process.exit(0);
}

const { dialog, why: dlgWhy } = await loadDialog();
if (dialog === undefined) skip(`@mod/dialog not built yet (${dlgWhy})`);
const { tm, why: tmWhy } = await loadTm();
if (tm === undefined) skip(`@mod/tm not built yet (${tmWhy}); dialog needs it`);
if (!ensureCommand('sipp', 'sip-tester')) skip('sipp missing');

async function activeDialogs() {
  try {
    const res = await fetch(`http://127.0.0.1:${SERVERS.tsips.miPort}/mi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'get_statistics', params: { statistics: ['dialog:active_dialogs'] }, id: 1 }),
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.json();
    const v = body?.result?.['dialog:active_dialogs'];
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

const server = await startServer('tsips', { uacPort: UAC_PORT, uasPort: UAS_PORT, env: { TSIPS_BENCH_MEM_FILE: MEM_FILE, TSIPS_BENCH_DIALOG: '1' } });
let result;
let uac;
let uas;
try {
  if (!/dialog: yes/.test(server.note)) throw new Error(`the server did not load dialog: ${server.note}`);
  process.stdout.write(`dialog-memory: ${server.note}\n`);
  await sleep(1000);
  const base = await tsipsMemory(server.pid, MEM_FILE);
  const baseRss = procStat(server.pid)?.rss ?? null;
  uas = startUas();
  await waitUdp(UAS_PORT, uas.child);
  // Calls are held for an hour: they stay confirmed until the benchmark ends them by stopping sipp.
  uac = startUac({ serverPort: server.port, rate: RATE, calls: DIALOGS, holdMs: 3_600_000, timeoutS: 3600 });
  const deadline = Date.now() + (DIALOGS / RATE) * 1000 * 3 + 60_000;
  let active = 0;
  while (Date.now() < deadline) {
    await sleep(2000);
    active = (await activeDialogs()) ?? 0;
    const st = readStats(uac.stf);
    process.stdout.write(`  active dialogs ${fmt(active)} (sipp created ${st?.created ?? '?'}, failed ${st?.failed ?? '?'})\n`);
    if (active >= DIALOGS || uac.child.exitCode !== null) break;
  }
  await sleep(SETTLE_S * 1000); // INVITE transactions finish (wait timer) so only dialogs remain
  active = (await activeDialogs()) ?? active;
  const full = await tsipsMemory(server.pid, MEM_FILE);
  const fullRss = procStat(server.pid)?.rss ?? null;
  const st = readStats(uac.stf);
  if (!base || !full || active === 0) throw new Error(`no measurement (active ${active}, probe ${base ? 'ok' : 'silent'})`);
  result = {
    dialogs: active,
    asked: DIALOGS,
    heapBaseMB: base.heapUsed / 1048576,
    heapFullMB: full.heapUsed / 1048576,
    heapPerDialog: (full.heapUsed - base.heapUsed) / active,
    rssPerDialog: fullRss !== null && baseRss !== null ? (fullRss - baseRss) / active : null,
    externalPerDialog: (full.external - base.external) / active,
    sippFailed: st?.failed ?? null,
  };
} catch (err) {
  result = { error: err instanceof Error ? err.message : String(err), log: server.child.log.slice(-1500) };
} finally {
  if (uac) await stop(uac.child);
  if (uas) await stop(uas.child);
  await stop(server.child);
}

if (result.error) {
  process.stdout.write(`dialog-memory failed: ${result.error}\n`);
  writeResult('dialog-memory', { dialogs: DIALOGS, ...result }, `## Dialog memory\n\nfailed: ${result.error}`);
  process.exit(1);
}
const met = result.heapPerDialog <= TARGET_BYTES && result.dialogs >= DIALOGS;
const table = [
  `## Dialog memory (tsips tm + rr + dialog, ${fmt(result.dialogs)} confirmed dialogs)`,
  '',
  mdTable(['figure', 'value'], [
    ['heap per dialog (after GC)', `${fmt(result.heapPerDialog)} B`],
    ['RSS per dialog', `${fmt(result.rssPerDialog)} B`],
    ['heap idle → loaded', `${fmt(result.heapBaseMB, 1)} → ${fmt(result.heapFullMB, 1)} MB`],
    ['sipp failed calls', String(result.sippFailed)],
  ]),
  '',
  `Target (≤ 2 KB heap per dialog at ${fmt(DIALOGS)}): **${met ? 'met' : 'not met'}** (${fmt(result.heapPerDialog)} B).`,
].join('\n');
writeResult('dialog-memory', { ...result, targetBytes: TARGET_BYTES, met, config: server.note }, table);
process.stdout.write(`\n${table}\n`);
