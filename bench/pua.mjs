#!/usr/bin/env node
/**
 * pua: PUBLISH throughput, CPU per PUBLISH and heap per record for --presentities publications (default
 * 10,000), tsips (tm + pua, in this process) against a stub presence server in a child process that answers
 * every PUBLISH 200 with a SIP-ETag (Kamailio's presence on db_text is the bottleneck long before tsips is;
 * the stub measures pua). At most --window PUBLISHes are outstanding. Heap is read after a full GC once the
 * transactions have been freed, and compared with the heap before. All on 127.0.0.1; bounded by the count.
 *
 *   node --expose-gc --conditions=source --import tsx bench/pua.mjs [--presentities 10000] [--window 200]
 *
 * Then BLF overhead: --calls sipp calls (default 500, at --rate 100/s) through a proxy (tm + rr + dialog)
 * in this process, once without and once with pua_dialoginfo (dialoginfo_set() on each INVITE, eight
 * PUBLISHes per call to the stub: early, confirmed, terminated and the remove, for both sides); CPU of this
 * process per call, each.
 *
 * Target: heap ≤ 1 KB per record.
 */
import { spawn } from 'node:child_process';
import { arg, fmt } from './lib/results.mjs';
import { SipServer, defineModule } from '../packages/core-sip/src/index.ts';
import tm from '../packages/tm/src/index.ts';
import pua, { PUA_EVENT, PUA_SOURCE } from '../packages/pua/src/index.ts';
import { freePort } from '../packages/testkit/src/ports.ts';
import { startSipp } from '../packages/testkit/src/sipp.ts';
import rr from '../packages/rr/src/index.ts';
import dialog from '../packages/dialog/src/index.ts';
import dialoginfo from '../packages/pua-dialoginfo/src/index.ts';

const N = Number(arg('presentities', 10_000));
const WINDOW = Number(arg('window', 200));
const CALLS = Number(arg('calls', 500));
const RATE = Number(arg('rate', 100));
const gc = globalThis.gc;
if (gc === undefined) {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

// The stub presence server: 200 OK with a SIP-ETag to each request, echoing the transaction headers.
const stubPort = await freePort();
const stubSrc = `
const s = require('node:dgram').createSocket('udp4'); let n = 0;
s.on('message', (b, r) => {
  const t = b.toString('latin1'); const h = t.slice(0, t.indexOf('\\r\\n\\r\\n')).split('\\r\\n');
  const keep = h.filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
  const out = ['SIP/2.0 200 OK', ...keep.map((l) => /^to:/i.test(l) && !/;tag=/i.test(l) ? l + ';tag=stub' : l), 'SIP-ETag: e' + (++n), 'Expires: 3600', 'Content-Length: 0', '', ''].join('\\r\\n');
  s.send(out, r.port, r.address);
});
s.bind(${stubPort}, '127.0.0.1', () => process.stdout.write('ready\\n'));`;
const stub = spawn(process.execPath, ['-e', stubSrc], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((res) => stub.stdout.once('data', res));

let api;
const probe = defineModule({ name: 'pua_bench', version: '0.0.0', deps: [{ module: 'pua' }], init: (ctx) => (api = ctx.api('pua')) });
const server = new SipServer({
  listen: ['udp:127.0.0.1:0'],
  mi: false,
  log: { level: 'silent' },
  modules: [tm, pua, probe],
  modparams: { pua: { min_expires: 0 } },
  routes: { request: (ctx) => void ctx.sl_send_reply(404, 'Not here') },
});
await server.start();

const body = (i) =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:u${i}@bench"><tuple id="t"><status><basic>open</basic></status></tuple></presence>`;
const settle = () => new Promise((r) => setTimeout(r, 6_000)); // tm frees UDP non-INVITE transactions after T4 (5 s)

gc();
const heap0 = process.memoryUsage().heapUsed;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let next = 0;
let ok = 0;
let failed = 0;
async function worker() {
  while (next < N) {
    const i = next++;
    const o = await api.sendPublish({
      presUri: `sip:u${i}@bench`,
      body: body(i),
      expires: 3600,
      sourceFlag: PUA_SOURCE.MI_PUBLISH,
      event: PUA_EVENT.PRESENCE_EVENT,
      outboundProxy: `sip:127.0.0.1:${stubPort}`,
    });
    if (o.code === 200) ok++;
    else failed++;
  }
}
await Promise.all(Array.from({ length: WINDOW }, worker));
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await settle();
gc();
const heap1 = process.memoryUsage().heapUsed;
const records = [...api.records()].length;

const cpuUs = (cpu.user + cpu.system) / N;
const perRecord = (heap1 - heap0) / records;
process.stdout.write(
  [
    `pua bench: ${fmt(N)} presentities, window ${WINDOW}, stub presence server in a child process`,
    `  PUBLISH ok ${fmt(ok)}, failed ${fmt(failed)}, records in memory ${fmt(records)}`,
    `  PUBLISH transactions/s: ${fmt(Math.round(ok / secs))}  (${secs.toFixed(2)} s)`,
    `  CPU per PUBLISH (tsips process): ${cpuUs.toFixed(1)} µs`,
    `  heap per record (after GC, transactions freed): ${fmt(Math.round(perRecord))} B (target ≤ 1024 B: ${perRecord <= 1024 ? 'met' : 'not met'})`,
    '',
  ].join('\n'),
);
await server.stop();

/** CPU µs of this process per call for CALLS sipp calls through a proxy with (blf) or without pua_dialoginfo. */
async function callCpu(blf) {
  const uasPort = await freePort();
  const px = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: blf ? [tm, rr, dialog, pua, dialoginfo] : [tm, rr, dialog],
    modparams: blf
      ? { pua: { min_expires: 0 }, pua_dialoginfo: { presence_server: `sip:127.0.0.1:${stubPort}` }, dialog: { dlg_match_mode: 1 } }
      : { dialog: { dlg_match_mode: 1 } },
    routes: {
      async request(ctx) {
        if (ctx.has_totag()) {
          if (ctx.loose_route() < 0) ctx.match_dialog();
        } else if (ctx.is_method('INVITE')) {
          ctx.record_route();
          ctx.create_dialog();
          if (blf) ctx.dialoginfo_set();
        }
        ctx.$du = `sip:127.0.0.1:${uasPort}`;
        await ctx.t_relay();
      },
    },
  });
  await px.start();
  const uas = await startSipp(['-sn', 'uas', '-p', String(uasPort), '-m', String(CALLS)], { timeoutMs: 120_000 });
  await uas.listening();
  const c0 = process.cpuUsage();
  const uac = await (
    await startSipp(['-sn', 'uac', '-m', String(CALLS), '-r', String(RATE), '-d', '200', '-s', 'bob', `127.0.0.1:${px.sockets[0].port}`], { timeoutMs: 120_000 })
  ).done;
  await new Promise((r) => setTimeout(r, 1_000)); // the last PUBLISHes
  const c = process.cpuUsage(c0);
  await uas.done;
  await px.stop();
  return { us: (c.user + c.system) / CALLS, ok: uac.successful };
}
const off = await callCpu(false);
const on = await callCpu(true);
process.stdout.write(
  [
    `  BLF overhead: ${fmt(CALLS)} calls at ${RATE}/s through tm + rr + dialog (this process's CPU per call)`,
    `    without pua_dialoginfo: ${off.us.toFixed(0)} µs/call (${fmt(off.ok)} ok); with: ${on.us.toFixed(0)} µs/call (${fmt(on.ok)} ok); overhead ${(on.us - off.us).toFixed(0)} µs/call`,
    '',
  ].join('\n'),
);
stub.kill('SIGTERM');
