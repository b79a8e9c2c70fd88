#!/usr/bin/env node
/**
 * B2BUA benchmark: sipp's built-in UAC (INVITE/200/ACK, hold, BYE/200) → a UAS, on loopback at fixed call
 * rates, for tsips running apps/server/examples/b2b-uas.ts (every call a b2b_entities server entity: UA
 * session, E_UA_SESSION NEW/UPDATED/TERMINATED) and for sipp's own UAS (`-sn uas`) as the reference, in the
 * same run. Per run: CPU µs per call of the UAS process (utime+stime from /proc), failed calls, and the best
 * rate each held with < 0.1 % failed calls. tsips first takes an unrecorded warm-up so V8 has compiled the
 * hot path. Target: tsips ≤ 2.5 × sipp-UAS CPU per call at 1,000 cps, printed met or not.
 *
 *   node bench/b2b.mjs [--rates 250,500,1000] [--seconds 5] [--hold-ms 100] [--warmup-s 3] [--no-write]
 */
import { arg, fmt, mdTable, writeResult } from './lib/results.mjs';
import { ensureCommand, HOST, sleep, start, stop, treeUsage, udpBound, waitUdp } from './lib/procs.mjs';
import { readStats, statArgs, statFile, UAC_PORT } from './lib/sipp.mjs';

const RATES = String(arg('rates', '250,500,1000')).split(',').map(Number);
const SECONDS = Number(arg('seconds', 5));
const HOLD_MS = Number(arg('hold-ms', 100));
const WARMUP_S = Number(arg('warmup-s', 3));
const TARGET_RATE = 1000;
const TARGET_RATIO = 2.5;
const MAX_FAIL = 0.001;
const UAS_PORT = 15080;

if (!ensureCommand('sipp', 'sip-tester')) {
  process.stderr.write('b2b: sipp is required\n');
  process.exit(1);
}

const SERVERS = {
  // The tsips CLI from sources (tsx), on the example config, listen socket and MI port set on the command line.
  'tsips-b2b-uas': () =>
    start(process.execPath, [
      '--conditions=source',
      '--import',
      'tsx',
      'apps/server/src/bin.ts',
      '--config',
      'apps/server/examples/b2b-uas.ts',
      '--listen',
      `udp:${HOST}:${UAS_PORT}`,
      '--mi-port',
      '18891',
      '--log-level',
      'warn',
    ]),
  'sipp-uas': () => start('sipp', ['-sn', 'uas', '-i', HOST, '-p', String(UAS_PORT), '-cp', '18889', '-nostdin', '-buff_size', '4194304', '-timeout', '3600s', '-bg']),
};

async function runRate(pid, rate, seconds) {
  if (udpBound(UAC_PORT)) throw new Error(`udp ${UAC_PORT} busy: is a previous sipp still running?`);
  const calls = rate * seconds;
  const stf = statFile('b2b-uac');
  const before = treeUsage(pid);
  const t0 = performance.now();
  const uac = start('sipp', [
    '-sn',
    'uac',
    `${HOST}:${UAS_PORT}`,
    '-i',
    HOST,
    '-p',
    String(UAC_PORT),
    '-cp',
    '18890',
    '-r',
    String(rate),
    '-rp',
    '1000',
    '-m',
    String(calls),
    '-d',
    String(HOLD_MS),
    ...statArgs(stf),
    '-timeout',
    `${seconds * 3 + 30}s`,
    '-timeout_error',
  ]);
  await uac.exited;
  const wallS = (performance.now() - t0) / 1000;
  const after = treeUsage(pid);
  const a = readStats(stf);
  if (a === undefined) throw new Error(`no sipp UAC statistics:\n${uac.log.slice(-2000)}`);
  const done = a.successful + a.failed;
  const failRatio = done > 0 ? a.failed / done : 1;
  const cpuUs = after.cpuUs - before.cpuUs;
  return {
    rate,
    calls,
    successful: a.successful,
    failed: a.failed,
    failRatio,
    retrans: a.retransmissions,
    cpuUsPerCall: a.successful > 0 ? cpuUs / a.successful : null,
    cpuLoad: cpuUs / 1e6 / wallS,
    rssMB: Math.round(after.rss / 1048576),
    held: failRatio < MAX_FAIL && a.successful >= calls * (1 - MAX_FAIL),
  };
}

const runs = {};
for (const [name, launch] of Object.entries(SERVERS)) {
  const child = launch();
  let pid = child.pid;
  try {
    await waitUdp(UAS_PORT, child);
    if (name === 'sipp-uas') {
      // -bg: sipp forks into the background and prints the pid it runs as.
      await child.exited;
      const m = /PID=\[(\d+)\]/.exec(child.log);
      if (m) pid = Number(m[1]);
    }
    await sleep(300);
    process.stdout.write(`${name}:\n`);
    runs[name] = [];
    if (name.startsWith('tsips') && WARMUP_S > 0) {
      const w = await runRate(pid, 200, WARMUP_S);
      process.stdout.write(`  warm-up 200 cps × ${WARMUP_S}s (not recorded): ok ${w.successful}/${w.calls}\n`);
      await sleep(1000);
    }
    for (const rate of RATES) {
      const r = await runRate(pid, rate, SECONDS);
      runs[name].push(r);
      process.stdout.write(
        `  ${String(rate).padStart(5)} cps × ${SECONDS}s: ok ${r.successful}/${r.calls}, failed ${r.failed}, retrans ${r.retrans}, ${fmt(r.cpuUsPerCall, 1)} µs CPU/call, load ${fmt(r.cpuLoad * 100)}% → ${r.held ? 'held' : 'NOT held'}\n`,
      );
      await sleep(1000);
    }
  } finally {
    if (name === 'sipp-uas' && pid !== child.pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      while (udpBound(UAS_PORT)) await sleep(100);
    } else await stop(child);
  }
}

const best = {};
for (const [name, list] of Object.entries(runs)) best[name] = list.filter((r) => r.held).reduce((m, r) => Math.max(m, r.rate), 0) || null;
const at = (name) => runs[name]?.find((r) => r.rate === TARGET_RATE);
const t = at('tsips-b2b-uas');
const s = at('sipp-uas');
const ratio = t?.cpuUsPerCall && s?.cpuUsPerCall ? t.cpuUsPerCall / s.cpuUsPerCall : null;
const target = {
  met: ratio === null ? null : ratio <= TARGET_RATIO && t.held,
  cpuRatioTsipsOverSippUas: ratio,
  at: TARGET_RATE,
  limit: TARGET_RATIO,
  bestRate: best,
};
const rows = [];
for (const [name, list] of Object.entries(runs))
  for (const r of list)
    rows.push([
      name,
      fmt(r.rate),
      `${r.successful}/${r.calls}`,
      String(r.failed),
      String(r.retrans),
      fmt(r.cpuUsPerCall, 1),
      `${fmt(r.cpuLoad * 100)}%`,
      r.held ? 'yes' : 'no',
    ]);
const table = [
  `## B2B UAS (sipp UAC → b2b-uas.ts / sipp UAS, loopback, ${SECONDS}s per rate, hold ${HOLD_MS} ms)`,
  '',
  mdTable(['UAS', 'cps', 'ok/calls', 'failed', 'retrans', 'CPU µs/call', 'CPU load', 'held <0.1% fail'], rows),
  '',
  `Target: tsips ≤ ${TARGET_RATIO}× sipp-UAS CPU per call at ${TARGET_RATE} cps: ${ratio === null ? 'not measured' : `${fmt(ratio, 2)}× → ${target.met ? 'met' : 'NOT met'}`}; best rate held: tsips ${best['tsips-b2b-uas'] ?? '–'}, sipp ${best['sipp-uas'] ?? '–'} cps.`,
].join('\n');
process.stdout.write(`\n${table}\n`);
if (arg('no-write', false) !== true) writeResult('b2b', { seconds: SECONDS, holdMs: HOLD_MS, runs, target }, table);
