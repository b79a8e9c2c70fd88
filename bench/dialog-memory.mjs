#!/usr/bin/env node
/**
 * Dialog memory: heap and RSS per confirmed dialog with --dialogs concurrent dialogs (default 50,000) in
 * tsips with tm + rr + dialog (create_dialog on every initial INVITE, bench/configs/tsips-proxy.mjs with
 * TSIPS_BENCH_DIALOG=1). sipp sets up the calls and holds them; once active_dialogs reaches the count and
 * the INVITE transactions have expired, heap (after a full GC) and RSS are compared with the idle server's.
 * Skipped, and recorded as skipped, while @mod/dialog or @mod/tm is not built. Target: ≤ 2 KB heap/dialog.
 *
 * The default rate (250 calls/s) is one the stateful server holds on a 2-core box shared with both sipp
 * instances; a faster setup only loses calls to retransmission timeouts, which then do not become dialogs.
 * sipp uses one UDP socket per side (-t u1), so 50,000 calls need no raised file-descriptor limit.
 *
 *   node bench/dialog-memory.mjs [--dialogs 50000] [--rate 250] [--settle-s 8] [--server tsips-dialog|tsips-default]
 */
import { join } from 'node:path';
import { arg, fmt, mdTable, RESULTS_DIR, writeResult } from './lib/results.mjs';
import { ensureCommand, procStat, sleep, SERVERS, startServer, stop, tsipsMemory, waitUdp } from './lib/procs.mjs';
import { UAC_PORT, UAS_PORT, readStats, startUac, startUas } from './lib/sipp.mjs';
import { loadDialog, loadTm } from './configs/tsips-proxy.mjs';

const DIALOGS = Number(arg('dialogs', 50_000));
const RATE = Number(arg('rate', 250));
const SETTLE_S = Number(arg('settle-s', 8));
// tsips-dialog: the bench config with create_dialog(); tsips-default: the shipped default server, no config.
const SERVER = String(arg('server', 'tsips-dialog'));
const MEM_FILE = join(RESULTS_DIR, '.run', 'tsips-mem.json');
const TARGET_BYTES = 2048;

function skip(why) {
  const line = `skipped: ${why}`;
  process.stdout.write(`${line}\n`);
  writeResult(
    'dialog-memory',
    { skipped: why, dialogs: DIALOGS },
    `## Dialog memory\n\n${line}. Target: ≤ 2 KB heap per confirmed dialog at ${fmt(DIALOGS)} dialogs: not measured.`,
  );
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

const server = await startServer(SERVER, { uacPort: UAC_PORT, uasPort: UAS_PORT, env: { TSIPS_BENCH_MEM_FILE: MEM_FILE } });
let result;
let uac;
let uas;
try {
  if (!/dialog: yes/.test(server.note)) throw new Error(`the server did not load dialog: ${server.note}`);
  process.stdout.write(`dialog-memory: ${server.note}\n`);
  uas = startUas();
  await waitUdp(UAS_PORT, uas.child);
  // Warm-up: a few hundred complete calls first, so the baseline already holds what the first calls
  // allocate once (compiled code, pools, lazily built tables) and the per-dialog figure is only dialogs.
  const warm = startUac({ serverPort: server.port, rate: 200, calls: 600, holdMs: 100, timeoutS: 60 });
  await warm.child.exited;
  const warmStats = readStats(warm.stf);
  process.stdout.write(`  warm-up: ${warmStats?.successful ?? '?'} calls ok, ${warmStats?.failed ?? '?'} failed\n`);
  // Their transactions and ended dialogs go: ended dialogs linger a few seconds after the BYE.
  await sleep(SETTLE_S * 1000);
  for (let i = 0; i < 30 && ((await activeDialogs()) ?? 0) > 0; i++) await sleep(1000);
  const base = await tsipsMemory(server.pid, MEM_FILE);
  const baseRss = procStat(server.pid)?.rss ?? null;
  const baseActive = (await activeDialogs()) ?? 0;
  const cpu0 = procStat(server.pid)?.cpuUs ?? 0;
  // Calls are held for an hour: they stay confirmed until the benchmark ends them by stopping sipp.
  const t0 = Date.now();
  uac = startUac({ serverPort: server.port, rate: RATE, calls: DIALOGS, holdMs: 3_600_000, timeoutS: 3600 });
  const deadline = t0 + (DIALOGS / RATE) * 1000 * 2 + 60_000;
  let active = 0;
  let lastGrowth = Date.now();
  let lastPrint = 0;
  while (Date.now() < deadline) {
    await sleep(2000);
    const now = (await activeDialogs()) ?? 0;
    if (now > active) lastGrowth = Date.now();
    active = now;
    const st = readStats(uac.stf);
    if (Date.now() - lastPrint >= 10_000) {
      lastPrint = Date.now();
      process.stdout.write(
        `  t=${Math.round((Date.now() - t0) / 1000)}s active dialogs ${fmt(active)} (sipp created ${st?.created ?? '?'}, failed ${st?.failed ?? '?'})\n`,
      );
    }
    if (active >= DIALOGS || uac.child.exitCode !== null) break;
    // Every call created and no new dialog for 15 s: the missing ones failed (counted below).
    if (st && st.created >= DIALOGS && Date.now() - lastGrowth > 15_000) break;
  }
  const setupS = (Date.now() - t0) / 1000;
  const setupCpuUs = (procStat(server.pid)?.cpuUs ?? 0) - cpu0;
  await sleep(SETTLE_S * 1000); // INVITE transactions finish (wait timer) so only dialogs remain
  active = (await activeDialogs()) ?? active;
  const full = await tsipsMemory(server.pid, MEM_FILE);
  const fullRss = procStat(server.pid)?.rss ?? null;
  const st = readStats(uac.stf);
  if (!base || !full || active === 0) throw new Error(`no measurement (active ${active}, probe ${base ? 'ok' : 'silent'})`);
  const held = active - baseActive;
  result = {
    dialogs: held,
    asked: DIALOGS,
    rate: RATE,
    setupS: Math.round(setupS),
    setupCpuUsPerCall: held > 0 ? setupCpuUs / held : null,
    heapBaseMB: base.heapUsed / 1048576,
    heapFullMB: full.heapUsed / 1048576,
    heapPerDialog: (full.heapUsed - base.heapUsed) / held,
    rssBaseMB: baseRss === null ? null : baseRss / 1048576,
    rssFullMB: fullRss === null ? null : fullRss / 1048576,
    rssPerDialog: fullRss !== null && baseRss !== null ? (fullRss - baseRss) / held : null,
    externalPerDialog: (full.external - base.external) / held,
    sippCreated: st?.created ?? null,
    sippFailed: st?.failed ?? null,
    sippRetransmissions: st?.retransmissions ?? null,
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
  `## Dialog memory (${SERVER}: tm + rr + dialog, ${fmt(result.dialogs)} confirmed dialogs)`,
  '',
  mdTable(
    ['figure', 'value'],
    [
      ['heap per dialog (after GC)', `${fmt(result.heapPerDialog)} B`],
      ['RSS per dialog', `${fmt(result.rssPerDialog)} B`],
      ['heap idle → loaded', `${fmt(result.heapBaseMB, 1)} → ${fmt(result.heapFullMB, 1)} MB`],
      ['RSS idle → loaded', `${fmt(result.rssBaseMB, 1)} → ${fmt(result.rssFullMB, 1)} MB`],
      ['set-up', `${fmt(result.sippCreated)} calls at ${fmt(RATE)} cps in ${fmt(result.setupS)} s, ${fmt(result.setupCpuUsPerCall)} µs CPU per call`],
      ['sipp failed calls / retransmissions', `${result.sippFailed} / ${result.sippRetransmissions}`],
    ],
  ),
  '',
  `Target (≤ 2 KB heap per dialog at ${fmt(DIALOGS)}): **${met ? 'met' : 'not met'}** (${fmt(result.heapPerDialog)} B = ${fmt(result.heapPerDialog / TARGET_BYTES, 2)}× the 2,048 B budget${result.dialogs < DIALOGS ? `, with ${fmt(result.dialogs)} of ${fmt(DIALOGS)} dialogs held` : ''}). Baseline: the server after ${fmt(600)} warm-up calls had ended.`,
].join('\n');
writeResult('dialog-memory', { server: SERVER, ...result, targetBytes: TARGET_BYTES, met, config: server.note }, table);
process.stdout.write(`\n${table}\n`);
