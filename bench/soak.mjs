#!/usr/bin/env node
/**
 * Soak: tsips (bench/configs/tsips-proxy.mjs; by default tsips-dialog, tm + rr + create_dialog() as the
 * default server runs, since a leak of ended dialogs or transactions is what a soak is for) under a steady call rate for a bounded time, sampling the
 * server's heap (after a full GC, through the config's memory probe) and RSS (/proc) every --sample-s
 * seconds. Reports growth from the start of the steady state (after --warmup-s) to the end: the mean of the
 * first and of the last fifth of the post-warm-up samples. Target: growth < 5 % and no failed calls.
 *
 *   node bench/soak.mjs [--minutes 10] [--rate 200] [--sample-s 5] [--warmup-s 60] [--server tsips-dialog|tsips]
 */
import { join } from 'node:path';
import { arg, fmt, mdTable, RESULTS_DIR, writeResult } from './lib/results.mjs';
import { ensureCommand, procStat, sleep, startServer, stop, tsipsMemory, waitUdp } from './lib/procs.mjs';
import { UAC_PORT, UAS_PORT, readStats, startUac, startUas, uacErrors } from './lib/sipp.mjs';

const MINUTES = Number(arg('minutes', 10));
const RATE = Number(arg('rate', 200));
const SERVER = String(arg('server', 'tsips-dialog'));
const SAMPLE_S = Number(arg('sample-s', 5));
const WARMUP_S = Number(arg('warmup-s', Math.min(60, MINUTES * 60 * 0.2)));
const MEM_FILE = join(RESULTS_DIR, '.run', 'tsips-mem.json');

if (!ensureCommand('sipp', 'sip-tester')) process.exit(1);
const seconds = Math.round(MINUTES * 60);
const server = await startServer(SERVER, { uacPort: UAC_PORT, uasPort: UAS_PORT, env: { TSIPS_BENCH_MEM_FILE: MEM_FILE } });
process.stdout.write(`soak: ${SERVER} ${server.note}; ${RATE} cps for ${seconds}s, sample every ${SAMPLE_S}s, warm-up ${WARMUP_S}s\n`);

const samples = [];
let uac;
let uas;
let a;
let b;
try {
  uas = startUas();
  await waitUdp(UAS_PORT, uas.child);
  const t0 = Date.now();
  uac = startUac({ serverPort: server.port, rate: RATE, calls: RATE * seconds, timeoutS: seconds + 60 });
  let running = true;
  uac.child.exited.then(() => {
    running = false;
  });
  while (running) {
    await sleep(SAMPLE_S * 1000);
    const mem = await tsipsMemory(server.pid, MEM_FILE);
    const st = procStat(server.pid);
    const s = { t: Math.round((Date.now() - t0) / 1000), heapUsed: mem?.heapUsed ?? null, rss: st?.rss ?? null, cpuUs: st?.cpuUs ?? null };
    samples.push(s);
    const calls = readStats(uac.stf);
    process.stdout.write(
      `  t=${String(s.t).padStart(4)}s heap ${fmt((s.heapUsed ?? 0) / 1048576, 1)} MB rss ${fmt((s.rss ?? 0) / 1048576, 1)} MB ok ${calls?.successful ?? '?'} failed ${calls?.failed ?? '?'}\n`,
    );
  }
  await sleep(1200);
  a = readStats(uac.stf);
  b = readStats(uas.stf);
  if (a) a.errors = uacErrors();
} finally {
  if (uac) await stop(uac.child);
  if (uas) await stop(uas.child);
  await stop(server.child);
}

/** Growth in % of `key` from the first fifth to the last fifth of the steady-state samples. */
function growth(key) {
  const steady = samples.filter((s) => s.t >= WARMUP_S && s[key] !== null);
  if (steady.length < 5) return null;
  const n = Math.max(1, Math.floor(steady.length / 5));
  const mean = (xs) => xs.reduce((x, s) => x + s[key], 0) / xs.length;
  const first = mean(steady.slice(0, n));
  const last = mean(steady.slice(-n));
  return { firstMB: first / 1048576, lastMB: last / 1048576, pct: ((last - first) / first) * 100, samples: steady.length };
}
const heap = growth('heapUsed');
const rss = growth('rss');
const failed = a?.failed ?? null;
const met = heap !== null && rss !== null && heap.pct < 5 && rss.pct < 5 && failed === 0;
const table = [
  `## Soak (${SERVER}, ${RATE} cps for ${fmt(seconds / 60, 1)} min, warm-up ${WARMUP_S}s)`,
  '',
  mdTable(
    ['figure', 'start of steady state', 'end', 'growth'],
    [
      ['heap used after GC (MB)', fmt(heap?.firstMB, 1), fmt(heap?.lastMB, 1), heap ? `${fmt(heap.pct, 1)}%` : '–'],
      ['RSS (MB)', fmt(rss?.firstMB, 1), fmt(rss?.lastMB, 1), rss ? `${fmt(rss.pct, 1)}%` : '–'],
    ],
  ),
  '',
  `Calls: ${a?.successful ?? '?'} ok, ${failed ?? '?'} failed, retransmissions uac/uas ${a?.retransmissions ?? '?'}/${b?.retransmissions ?? '?'}. ${server.note}.`,
  `Target (growth < 5 %, no failed calls): **${heap === null ? 'not measured (too few samples)' : met ? 'met' : 'not met'}**.${MINUTES < 10 ? ` Short run (${MINUTES} min): the target is stated for 10 minutes (\`node bench/soak.mjs\`).` : ''}`,
].join('\n');
writeResult(
  'soak',
  { server: SERVER, minutes: MINUTES, rate: RATE, sampleS: SAMPLE_S, warmupS: WARMUP_S, config: server.note, calls: a, uas: b, heap, rss, met, samples },
  table,
);
process.stdout.write(`\n${table}\n`);
