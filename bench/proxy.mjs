#!/usr/bin/env node
/**
 * Stateful proxy benchmark: sipp UAC → server → sipp UAS on loopback at fixed call rates
 * (INVITE/100/180/200/ACK/BYE/200, calls held --hold-ms), for tsips (bench/configs/tsips-proxy.mjs:
 * tm t_relay + rr), tsips-dialog (the same plus create_dialog() on each initial INVITE), Kamailio
 * (bench/configs/kamailio.cfg: tm + rr) and Node's floor (bench/floor-relay.mjs). Per run: CPU µs per call of
 * the server's processes (utime+stime from /proc, all of Kamailio's processes summed), failed calls,
 * retransmissions (both sipp sides), and the highest rate each server held with < 0.1 % failed calls.
 * Each server first takes an unrecorded warm-up (--warmup-s at --warmup-rate) so V8 has compiled the hot
 * path before CPU is counted. tsips must run stateful: a stateless fallback aborts unless --allow-stateless.
 *
 *   node bench/proxy.mjs [--rates 250,500,1000,1500,2000] [--seconds 10] [--servers tsips,tsips-dialog,kamailio,floor]
 *                        [--hold-ms 100] [--warmup-s 3] [--warmup-rate 200] [--cpu-prof] [--node-args '...'] [--allow-stateless] [--merge] [--no-write]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, fmt, mdTable, RESULTS_DIR, writeResult } from './lib/results.mjs';
import { ensureCommand, sleep, startServer, stop, treeUsage, udpBound, udpRcvbufErrors, waitUdp } from './lib/procs.mjs';
import { UAC_PORT, UAS_PORT, readStats, startUac, startUas, uacErrors } from './lib/sipp.mjs';

const RATES = String(arg('rates', '250,500,1000,1500,2000')).split(',').map(Number);
const SECONDS = Number(arg('seconds', 10));
const HOLD_MS = Number(arg('hold-ms', 100));
const SERVERS = String(arg('servers', 'tsips,tsips-dialog,kamailio,floor')).split(',');
const WARMUP_S = Number(arg('warmup-s', 3));
const WARMUP_RATE = Number(arg('warmup-rate', 200));
const ALLOW_STATELESS = arg('allow-stateless', false) === true;
// --cpu-prof: tsips and the floor write a V8 CPU profile per server run (read it with bench/profile-top.mjs).
const CPU_PROF = arg('cpu-prof', false) === true;
const PROF_DIR = join(RESULTS_DIR, '.run', 'prof-proxy');
const MAX_FAIL = 0.001;
// --node-args '--max-semi-space-size=32 …': extra node flags for the tsips and floor servers (A/B a V8 setting).
const NODE_ARGS = String(arg('node-args', ''))
  .split(' ')
  .filter((a) => a !== '');

if (!ensureCommand('sipp', 'sip-tester')) {
  process.stderr.write('proxy: sipp is required\n');
  process.exit(1);
}
const skipped = {};
if (SERVERS.includes('kamailio') && !ensureCommand('kamailio', 'kamailio')) skipped.kamailio = 'kamailio not installed';

/** One bounded run at one rate against a running server. */
async function runRate(server, rate, seconds = SECONDS) {
  if (udpBound(UAC_PORT) || udpBound(UAS_PORT)) throw new Error(`udp ${UAC_PORT}/${UAS_PORT} busy: is a previous sipp still running?`);
  const uas = startUas();
  await waitUdp(UAS_PORT, uas.child);
  const calls = rate * seconds;
  const before = treeUsage(server.pid);
  const drops0 = udpRcvbufErrors();
  const t0 = performance.now();
  const uac = startUac({ serverPort: server.port, rate, calls, holdMs: HOLD_MS, timeoutS: seconds * 3 + 30 });
  // When sipp had created every call: the offered rate is calls / that time (the wall time also holds the
  // retransmission tail of failing calls).
  let createdAtS = null;
  const poll = setInterval(() => {
    const st = readStats(uac.stf);
    if (createdAtS === null && st && st.created >= calls) createdAtS = (performance.now() - t0) / 1000;
  }, 250);
  const exit = await uac.child.exited;
  clearInterval(poll);
  const drops = drops0 === null ? null : udpRcvbufErrors() - drops0;
  const wallS = (performance.now() - t0) / 1000;
  const after = treeUsage(server.pid);
  await sleep(1200); // the UAS writes its last statistics row once a second
  await stop(uas.child);
  const a = readStats(uac.stf);
  const b = readStats(uas.stf);
  if (a === undefined) throw new Error(`no sipp UAC statistics (exit ${JSON.stringify(exit)}):\n${uac.child.log.slice(-2000)}`);
  const done = a.successful + a.failed;
  const failRatio = done > 0 ? a.failed / done : 1;
  const cpuUs = after.cpuUs - before.cpuUs;
  return {
    rate,
    calls,
    successful: a.successful,
    failed: a.failed,
    failRatio,
    offeredCps: calls / (createdAtS ?? wallS),
    udpRcvbufDrops: drops,
    wallS: Math.round(wallS * 10) / 10,
    retransUac: a.retransmissions,
    retransUas: b?.retransmissions ?? null,
    cpuMs: Math.round(cpuUs / 1000),
    cpuUsPerCall: done > 0 ? cpuUs / a.successful : null,
    // The kernel's share (sendmsg/recvmsg/epoll): tells syscall cost from JS work in the per-call figure.
    sysUsPerCall: done > 0 ? (after.sysUs - before.sysUs) / a.successful : null,
    cpuLoad: cpuUs / 1e6 / wallS,
    rssMB: Math.round(after.rss / 1048576),
    processes: after.processes,
    errors: a.failed > 0 ? uacErrors() : [],
    held: failRatio < MAX_FAIL && a.successful >= calls * (1 - MAX_FAIL),
  };
}

const runs = {};
const notes = {};
for (const name of SERVERS) {
  if (skipped[name]) {
    process.stdout.write(`${name}: skipped (${skipped[name]})\n`);
    continue;
  }
  let server;
  try {
    const nodeArgs = name === 'kamailio' ? [] : [...NODE_ARGS, ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(PROF_DIR, name)}`] : [])];
    server = await startServer(name, { uacPort: UAC_PORT, uasPort: UAS_PORT, nodeArgs });
    if (name.startsWith('tsips') && !/STATEFUL/.test(server.note) && !ALLOW_STATELESS) {
      await stop(server.child);
      throw new Error(`tsips did not load tm (${server.note}); run \`pnpm build\` or pass --allow-stateless`);
    }
    if (name === 'tsips-dialog' && !/dialog: yes/.test(server.note)) {
      await stop(server.child);
      throw new Error(`tsips did not load dialog (${server.note})`);
    }
  } catch (err) {
    skipped[name] = err instanceof Error ? err.message : String(err);
    process.stdout.write(`${name}: skipped (${skipped[name]})\n`);
    continue;
  }
  notes[name] = server.note;
  process.stdout.write(`${name}: ${server.note}\n`);
  runs[name] = [];
  try {
    if (WARMUP_S > 0) {
      const w = await runRate(server, WARMUP_RATE, WARMUP_S);
      process.stdout.write(`  warm-up ${WARMUP_RATE} cps × ${WARMUP_S}s (not recorded): ok ${w.successful}/${w.calls}, failed ${w.failed}\n`);
      await sleep(1000);
    }
    for (const rate of RATES) {
      const r = await runRate(server, rate);
      runs[name].push(r);
      process.stdout.write(
        `  ${String(rate).padStart(5)} cps × ${SECONDS}s: ok ${r.successful}/${r.calls}, failed ${r.failed}, retrans uac/uas ${r.retransUac}/${r.retransUas}, ` +
          `${fmt(r.cpuUsPerCall, 1)} µs CPU/call (sys ${fmt(r.sysUsPerCall, 1)}), load ${fmt(r.cpuLoad * 100)}% of a core, offered ${fmt(r.offeredCps)} cps, UDP buffer drops ${r.udpRcvbufDrops ?? '?'} → ${r.held ? 'held' : 'NOT held'}\n`,
      );
      await sleep(1000); // let transactions of the previous rate expire before the next
    }
  } catch (err) {
    skipped[name] = `failed mid-run: ${err instanceof Error ? err.message : String(err)}`;
    process.stdout.write(`${name}: ${skipped[name]}\n${server.child.log.slice(-2000)}\n`);
  } finally {
    await stop(server.child);
  }
}

// --merge: re-measure some servers/rates (say Kamailio at 2000 cps after a disturbed run) and keep every
// other row of the latest results/proxy.json; the table, best rates and target are recomputed over the union.
if (arg('merge', false) === true && existsSync(join(RESULTS_DIR, 'proxy.json'))) {
  const prev = JSON.parse(readFileSync(join(RESULTS_DIR, 'proxy.json'), 'utf8'));
  for (const [name, list] of Object.entries(prev.runs ?? {})) {
    const fresh = (runs[name] ?? []).map((r) => ({ ...r, remeasured: true }));
    const kept = list.filter((r) => !fresh.some((f) => f.rate === r.rate)).map((r) => ({ ...r, mergedFrom: r.mergedFrom ?? prev.at }));
    runs[name] = [...kept, ...fresh].sort((x, y) => x.rate - y.rate);
    if (!notes[name] && prev.notes?.[name]) notes[name] = prev.notes[name];
  }
  for (const [name, why] of Object.entries(prev.skipped ?? {})) if (!runs[name]?.length && !skipped[name]) skipped[name] = why;
}

const best = {};
for (const [name, list] of Object.entries(runs)) best[name] = list.filter((r) => r.held).reduce((m, r) => Math.max(m, r.rate), 0) || null;

/**
 * tsips-variant / Kamailio CPU per call, the mean over the rates both held (CPU per call of a rate where
 * calls failed counts retransmissions and timeouts, not calls); over every common rate when none was held.
 */
function cpuRatio(name) {
  if (!runs[name]?.length || !runs.kamailio?.length) return null;
  const pairs = runs[name].map((t) => ({ t, k: runs.kamailio.find((k) => k.rate === t.rate) })).filter((p) => p.k && p.t.cpuUsPerCall && p.k.cpuUsPerCall);
  const heldBoth = pairs.filter((p) => p.t.held && p.k.held);
  const use = heldBoth.length ? heldBoth : pairs;
  if (!use.length) return null;
  return { ratio: use.reduce((s, p) => s + p.t.cpuUsPerCall / p.k.cpuUsPerCall, 0) / use.length, rates: use.map((p) => p.t.rate), heldByBoth: heldBoth.length > 0 };
}

// Target: tsips (tm + rr, the same relay as Kamailio's) uses no more CPU per call and holds at least the same rate.
let target = { met: null, reason: 'tsips or kamailio did not run' };
const tsipsRatio = cpuRatio('tsips');
if (tsipsRatio) {
  const rateOk = (best.tsips ?? 0) >= (best.kamailio ?? 0);
  target = {
    met: tsipsRatio.ratio <= 1 && rateOk,
    cpuRatioTsipsOverKamailio: tsipsRatio.ratio,
    comparedAt: tsipsRatio.rates,
    rateRatioTsipsOverKamailio: best.kamailio ? (best.tsips ?? 0) / best.kamailio : null,
    bestRate: best,
    reason: 'mean of tsips/kamailio CPU per call over the rates both held; best rate held',
  };
}
const dialogRatio = cpuRatio('tsips-dialog');
// Node's own floor (a relay that parses nothing) against Kamailio: the least CPU per call any Node proxy
// can reach here, so what is left between tsips and the floor is tsips's own work.
const floorRatio = cpuRatio('floor');

const rows = [];
for (const [name, list] of Object.entries(runs))
  for (const r of list) {
    rows.push([
      name,
      `${fmt(r.rate)}${r.remeasured ? '*' : ''}`,
      `${r.successful}/${r.calls}`,
      String(r.failed),
      `${r.retransUac}/${r.retransUas ?? '–'}`,
      fmt(r.cpuUsPerCall, 1),
      `${fmt(r.cpuLoad * 100)}%`,
      fmt(r.offeredCps),
      fmt(r.udpRcvbufDrops),
      r.held ? 'yes' : 'no',
    ]);
  }
const table = [
  `## Proxy (sipp UAC → server → sipp UAS, loopback, ${SECONDS}s per rate, hold ${HOLD_MS} ms)`,
  '',
  mdTable(['server', 'cps', 'ok/calls', 'failed', 'retrans uac/uas', 'CPU µs/call', 'CPU load', 'offered cps', 'UDP rcvbuf drops', 'held <0.1% fail'], rows),
  '',
  ...Object.entries(notes).map(([n, s]) => `- ${n}: ${s}; best rate held: ${best[n] ? fmt(best[n]) : 'none'}`),
  ...Object.entries(skipped).map(([n, s]) => `- ${n}: skipped: ${s}`),
  ...(Object.values(runs).some((l) => l.some((r) => r.remeasured)) ? ['- `*`: re-measured later (`--merge`); the other rows are from the earlier run.'] : []),
  '',
  target.met === null
    ? `Target (tsips ≤ Kamailio CPU/call, ≥ its rate): not measured (${target.reason}).`
    : `Target (tsips ≤ Kamailio CPU/call, ≥ its rate): **${target.met ? 'met' : 'not met'}**: tsips/Kamailio CPU per call ${fmt(target.cpuRatioTsipsOverKamailio, 2)}× (at ${target.comparedAt.join(', ')} cps${tsipsRatio.heldByBoth ? ', held by both' : ', no rate held by both'}), best rate held tsips ${fmt(best.tsips)} vs Kamailio ${fmt(best.kamailio)}.`,
  ...(floorRatio && tsipsRatio
    ? [
        `Node's floor relay (parses nothing) uses ${fmt(floorRatio.ratio, 2)}× Kamailio's CPU per call (at ${floorRatio.rates.join(', ')} cps): the bound for any Node proxy on this machine; tsips uses ${fmt(tsipsRatio.ratio / floorRatio.ratio, 2)}× the floor's.`,
      ]
    : []),
  ...(dialogRatio
    ? [
        `tsips-dialog (tm + rr + dialog, more work than Kamailio's relay): ${fmt(dialogRatio.ratio, 2)}× Kamailio's CPU per call (at ${dialogRatio.rates.join(', ')} cps).`,
      ]
    : []),
  'Load generator and servers share the machine: "offered cps" below the rate means sipp could not generate it. "UDP rcvbuf drops" counts datagrams the kernel dropped machine-wide because a socket buffer was full (RcvbufErrors in /proc/net/snmp) during the run.',
].join('\n');
if (arg('no-write', false) !== true)
  writeResult(
    'proxy',
    {
      seconds: SECONDS,
      holdMs: HOLD_MS,
      warmup: { seconds: WARMUP_S, rate: WARMUP_RATE },
      rates: RATES,
      notes,
      skipped,
      runs,
      best,
      target,
      dialogCpuRatio: dialogRatio,
      floorCpuRatio: floorRatio,
    },
    table,
  );
process.stdout.write(`\n${table}\n`);
