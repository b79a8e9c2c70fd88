#!/usr/bin/env node
/**
 * uac_registrant at scale: --rows registrant rows (default 10,000) against a real Kamailio registrar that
 * challenges every REGISTER (digest through uac_auth), all on 127.0.0.1. Prints:
 *  - time until every row is REGISTERED, and how the REGISTERs were spread (the most sent in any 1 s);
 *  - CPU per registration (REGISTER + 401 + authenticated REGISTER + 200: two transactions), tsips and Kamailio;
 *  - heap per row (after a full GC: rows registered, minus the rows' copy in the in-memory DB);
 *  - steady-state CPU from then until every row has been refreshed once (a refresh is due a timer_interval
 *    plus a margin before the granted expiry: with --expiry 90, from about 68 s after a row registered).
 * Bounded: exits after --max-s seconds whatever happened. tsips runs in this process, from source.
 *
 *   node bench/registrant.mjs [--rows 10000] [--hash-size 4] [--timer-interval 20] [--expiry 90] [--steady-s 90] [--max-s 180] [--write]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.includes('--conditions=source')) {
  // Re-run with the workspace sources (tsx) and a callable GC.
  const r = spawnSync(process.execPath, ['--expose-gc', '--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

// bench/ has no workspace links: the packages' sources by path (their own imports resolve as usual).
const src = (pkg) => new URL(`../packages/${pkg}/src/index.ts`, import.meta.url).href;
const { SipServer, defineModule } = await import(src('core-sip'));
const { default: tm } = await import(src('tm'));
const { default: uacAuth } = await import(src('uac-auth'));
const { default: registrant, registrantSchema } = await import(src('uac-registrant'));
const { startKamailioRegistrar, kamailioPassword, freePort } = await import(src('testkit'));
const { arg, fmt, mdTable, writeResult } = await import('./lib/results.mjs');
const { procStat } = await import('./lib/procs.mjs');

const ROWS = Number(arg('rows', 10_000));
const HASH_SIZE = Number(arg('hash-size', 4));
const TIMER_INTERVAL = Number(arg('timer-interval', 20));
const EXPIRY = Number(arg('expiry', 90));
const MAX_S = Number(arg('max-s', 180));
const WRITE = arg('write', false) === true;

const bound = setTimeout(() => {
  process.stderr.write(`registrant bench: stopped after --max-s ${MAX_S} s\n`);
  process.exit(2);
}, MAX_S * 1000);
bound.unref();

const gcHeap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const kamCpuUs = (k) => k.pids().reduce((s, p) => s + (procStat(p)?.cpuUs ?? 0), 0);
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const kam = await startKamailioRegistrar({ auth: true, maxExpires: 3600, children: 2 });
let heapAfterRows = 0;
let port = 0;
// Puts the rows in the in-memory DB during init, before uac_registrant loads them at start.
const seed = defineModule({
  name: 'bench_seed',
  version: '0.0.0',
  async init(ctx) {
    const db = await ctx.db(undefined);
    await db.ensureTable(registrantSchema());
    const rows = [];
    for (let i = 0; i < ROWS; i++) {
      const user = `u${i}`;
      rows.push({
        registrar: kam.uri,
        aor: `sip:${user}@tsips.test`,
        binding_URI: `sip:${user}@127.0.0.1:${port}`,
        username: user,
        password: kamailioPassword(user),
        expiry: EXPIRY,
      });
    }
    await db.insertMany('registrant', rows);
    heapAfterRows = gcHeap();
    return {};
  },
});

port = await freePort();
const sent = [];
const server = new SipServer({
  listen: [`udp:127.0.0.1:${port}`],
  mi: false,
  log: { level: 'warn' },
  modules: [tm, uacAuth, seed, registrant],
  modparams: { tm: { fr_timer: 5 }, uac_registrant: { hash_size: HASH_SIZE, timer_interval: TIMER_INTERVAL, failure_retry_interval: 5 } },
  routes: { request: (ctx) => void ctx.sl_send_reply(404, 'Not Here') },
});

const stat = (n) => server.stats.query([`uac_registrant:${n}`])[0]?.value ?? 0;
const t0 = Date.now();
const cpu0 = cpuUs();
const kcpu0 = kamCpuUs(kam);
await server.start();
let regsSent = 0;
server.events.subscribe('E_UAC_REG_STATE', (_n, p) => {
  if (p.state === 1) {
    regsSent++;
    sent.push(Date.now());
  }
});
while (stat('registered') < ROWS) await new Promise((r) => setTimeout(r, 50));
const allMs = Date.now() - t0;
const regCpu = cpuUs() - cpu0;
const regKcpu = kamCpuUs(kam) - kcpu0;
// tm keeps each finished client transaction for timer K (T4, 5 s over UDP): the heap is read once they are gone.
await new Promise((r) => setTimeout(r, 6000));
const heapRegistered = gcHeap();
const liveTransactions = server.stats.query(['tm:inuse_transactions'])[0]?.value ?? 0;

// Spread: the most REGISTERs started within any 1 s window.
let maxPerS = 0;
for (let i = 0, j = 0; i < sent.length; i++) {
  while (sent[i] - sent[j] >= 1000) j++;
  maxPerS = Math.max(maxPerS, i - j + 1);
}

// Steady state: from here until every row has been refreshed once (bounded by --steady-s).
const sentBefore = regsSent;
const s0 = Date.now();
const sc0 = cpuUs();
const sk0 = kamCpuUs(kam);
const steadyEnd = s0 + Number(arg('steady-s', 90)) * 1000;
while (regsSent - sentBefore < ROWS && Date.now() < steadyEnd) await new Promise((r) => setTimeout(r, 100));
const steadyMs = Date.now() - s0;
const steadyCpu = cpuUs() - sc0;
const steadyK = kamCpuUs(kam) - sk0;
const refreshes = regsSent - sentBefore;
const stillRegistered = stat('registered');
const failed = stat('failed');

await server.stop();
await kam.stop();

const perRowHeap = (heapRegistered - heapAfterRows) / ROWS;
const figures = {
  rows: ROWS,
  buckets: 2 ** HASH_SIZE,
  timerInterval: TIMER_INTERVAL,
  allRegisteredMs: allMs,
  maxRegistersPerSecond: maxPerS,
  tsipsCpuUsPerRegistration: Math.round(regCpu / ROWS),
  kamailioCpuUsPerRegistration: Math.round(regKcpu / ROWS),
  heapBytesPerRow: Math.round(perRowHeap),
  liveTransactionsAtHeapReading: liveTransactions,
  steadyWindowMs: steadyMs,
  refreshesInWindow: refreshes,
  steadyTsipsCpuPct: +((steadyCpu / 1000 / steadyMs) * 100).toFixed(1),
  steadyKamailioCpuPct: +((steadyK / 1000 / steadyMs) * 100).toFixed(1),
  registeredAtEnd: stillRegistered,
  failedAtEnd: failed,
};
const table = `## uac_registrant (${fmt(ROWS)} rows vs Kamailio, digest)\n\n${mdTable(
  ['figure', 'value'],
  [
    ['time until all REGISTERED', `${(allMs / 1000).toFixed(1)} s (${2 ** HASH_SIZE} buckets, timer_interval ${TIMER_INTERVAL} s)`],
    ['most REGISTERs started in any 1 s', `${fmt(maxPerS)} (of ${fmt(ROWS)})`],
    ['tsips CPU per registration (2 transactions, 401 round)', `${figures.tsipsCpuUsPerRegistration} µs`],
    ['Kamailio CPU per registration (same REGISTERs)', `${figures.kamailioCpuUsPerRegistration} µs`],
    ['heap per row (target ≤ 1 KB)', `${fmt(figures.heapBytesPerRow)} B`],
    [
      `steady state over ${(steadyMs / 1000).toFixed(0)} s (${fmt(refreshes)} refreshes)`,
      `tsips ${figures.steadyTsipsCpuPct} % CPU, Kamailio ${figures.steadyKamailioCpuPct} %`,
    ],
    ['registered / failed at the end', `${fmt(stillRegistered)} / ${fmt(failed)}`],
  ],
)}`;
process.stdout.write(`${table}\n\n${JSON.stringify(figures)}\n`);
if (WRITE) writeResult('registrant', figures, table);
process.exit(0);
