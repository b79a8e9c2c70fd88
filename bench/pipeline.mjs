#!/usr/bin/env node
/**
 * In-process pipeline benchmark: every datagram of a call (INVITE, 100/180/200 from the UAS, ACK, BYE, 200)
 * goes through receive → the bench proxy route (maxfwd, record_route, loose_route, t_relay, as
 * configs/tsips-proxy.mjs) → tm → send, with no kernel: the server binds a loopback UDP socket it never
 * receives on, datagrams are handed to the transport's onMessage, and CoreTransport.send/post (the boundary
 * every module sends through) are replaced by a counting sink. Prints ns per message and per call and heap
 * bytes allocated per call (heapUsed delta over a round, GC forced before it and the young generation made
 * large enough that no scavenge runs inside it), rounds with median/min/max so two commits compare.
 *
 *   node --expose-gc --max-semi-space-size=256 --conditions=source --import tsx bench/pipeline.mjs [--calls 2000] [--rounds 7] [--no-write]
 */
import { arg, fmt, mdTable, median, writeResult } from './lib/results.mjs';
import { SipServer } from '../packages/core-sip/src/index.ts';
import tm from '../packages/tm/src/index.ts';
import rr from '../packages/rr/src/index.ts';

const CALLS = Number(arg('calls', 2000));
const ROUNDS = Number(arg('rounds', 7));
const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('run with node --expose-gc (see the header)');

const server = new SipServer({
  listen: ['udp:127.0.0.1:0'],
  modules: [tm, rr],
  mi: false,
  log: { level: 'warn' },
  routes: {
    async request(ctx) {
      if (ctx.mf_process_maxfwd_header(10) < 0) return void ctx.sl_send_reply(483, 'Too Many Hops');
      if (ctx.has_totag()) {
        if (ctx.loose_route() > 0 || (ctx.$rm === 'ACK' && ctx.t_check_trans() > 0)) {
          if ((await ctx.t_relay()) < 0) ctx.sl_send_reply(500, 'Relay Failed');
          return;
        }
        if (ctx.$rm !== 'ACK') ctx.sl_send_reply(404, 'Not here');
        return;
      }
      if (ctx.$rm === 'INVITE') ctx.record_route();
      if ((await ctx.t_relay()) < 0) ctx.sl_send_reply(500, 'Relay Failed');
    },
  },
});
await server.start();
const t = server.transport;
const sock = t.sockets[0];
// The seam: CoreTransport's send/post on the server's one transport object (what tm and sl call).
let sent = [];
t.send = (target, data) => {
  sent.push(data);
  return Promise.resolve(undefined);
};
t.post = (target, data) => {
  sent.push(data);
};
const deliver = t.opts.onMessage;
const uac = { proto: 'udp', srcAddress: '127.0.0.2', srcPort: 5070, socket: sock };
const uas = { proto: 'udp', srcAddress: '127.0.0.3', srcPort: 5080, socket: sock };
const P = `${sock.address}:${sock.port}`;
const B = (s) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');
const SDP = 'v=0\no=- 1 1 IN IP4 127.0.0.2\ns=-\nc=IN IP4 127.0.0.2\nt=0 0\nm=audio 6000 RTP/AVP 0\n';
const tick = () => new Promise((r) => setImmediate(r));

/** Lines of `name:` headers of a sent message, as text. */
const headers = (buf, name) =>
  buf
    .toString('latin1')
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
function reply(inv, code, reason, totag) {
  const vias = headers(inv, 'Via').join('\n');
  const rrs = headers(inv, 'Record-Route').join('\n');
  const pick = (n) => headers(inv, n)[0];
  const to = pick('To') + (totag ? `;tag=${totag}` : '');
  return B(
    `SIP/2.0 ${code} ${reason}\n${vias}\n${rrs ? `${rrs}\n` : ''}${pick('From')}\n${to}\n${pick('Call-ID')}\n${pick('CSeq')}\nContact: <sip:bob@127.0.0.3:5080>\nContent-Length: 0\n\n`,
  );
}

/** One call; returns datagrams the sink took. Stage times: ns spent in each deliver() and its microtasks. */
async function call(i) {
  const cid = `pl-${i}-${Math.random().toString(36).slice(2)}`;
  const ftag = `f${i}`;
  const inv = B(
    `INVITE sip:bob@127.0.0.3:5080 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-${cid}-1;rport\nMax-Forwards: 70\nFrom: <sip:alice@127.0.0.2>;tag=${ftag}\nTo: <sip:bob@127.0.0.3>\nCall-ID: ${cid}\nCSeq: 1 INVITE\nContact: <sip:alice@127.0.0.2:5070>\nContent-Type: application/sdp\nContent-Length: ${SDP.length + 6}\n\n${SDP}`,
  );
  const before = sent.length;
  deliver(inv, uac);
  await tick();
  const out = sent.find((b, k) => k >= before && b.toString('latin1', 0, 6) === 'INVITE');
  if (out === undefined) throw new Error('INVITE was not relayed');
  deliver(reply(out, 100, 'Trying'), uas);
  deliver(reply(out, 180, 'Ringing', 'u1'), uas);
  deliver(reply(out, 200, 'OK', 'u1'), uas);
  await tick();
  const rrv = headers(out, 'Record-Route')[0].slice('Record-Route:'.length).trim();
  const dlg = (m, n, br) =>
    B(
      `${m} sip:bob@127.0.0.3:5080 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-${cid}-${br};rport\nRoute: ${rrv}\nMax-Forwards: 70\nFrom: <sip:alice@127.0.0.2>;tag=${ftag}\nTo: <sip:bob@127.0.0.3>;tag=u1\nCall-ID: ${cid}\nCSeq: ${n} ${m}\nContent-Length: 0\n\n`,
    );
  deliver(dlg('ACK', 1, 2), uac);
  deliver(dlg('BYE', 2, 3), uac);
  await tick();
  const bye = sent.findLast((b) => b.toString('latin1', 0, 3) === 'BYE');
  if (bye === undefined) throw new Error('BYE was not relayed');
  deliver(reply(bye, 200, 'OK'), uas);
  await tick();
  return sent.length - before;
}

// Warm-up, then check the call is whole: 7 datagrams in, expected out: INVITE, 100 (local), 180, 200, ACK, BYE, 200.
for (let i = 0; i < 500; i++) await call(-i - 1);
sent = [];
const perCallOut = await call(-1000);
process.stdout.write(`datagrams out per call: ${perCallOut} (${P})\n`);

const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  sent = [];
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    await call(r * CALLS + i);
    if (sent.length > 4096) sent = [];
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const h1 = process.memoryUsage().heapUsed;
  rows.push({ nsPerCall: ns / CALLS, nsPerMsg: ns / CALLS / 7, bytesPerCall: (h1 - h0) / CALLS });
  process.stdout.write(`round ${r + 1}: ${fmt(ns / CALLS)} ns/call, ${fmt((h1 - h0) / CALLS)} B/call\n`);
}
await server.stop();
const stat = (k) => ({ median: median(rows.map((x) => x[k])), min: Math.min(...rows.map((x) => x[k])), max: Math.max(...rows.map((x) => x[k])) });
const res = {
  calls: CALLS,
  rounds: ROUNDS,
  datagramsOutPerCall: perCallOut,
  nsPerCall: stat('nsPerCall'),
  nsPerMsg: stat('nsPerMsg'),
  bytesPerCall: stat('bytesPerCall'),
  rows,
};
const line = (s, d = 0) => [fmt(s.median, d), fmt(s.min, d), fmt(s.max, d)];
const table = `## Pipeline (in process, no kernel)\n\n${mdTable(
  ['figure', 'median', 'min', 'max'],
  [
    ['ns / call (7 datagrams in)', ...line(res.nsPerCall)],
    ['ns / message', ...line(res.nsPerMsg)],
    ['heap bytes allocated / call', ...line(res.bytesPerCall)],
  ],
)}\n\nIncludes building the UAS replies and in-dialog requests from the relayed bytes (the harness); ${perCallOut} datagrams sent per call.`;
process.stdout.write(`${table}\nallocation budget: ${fmt(res.bytesPerCall.median)} B/call (${fmt(res.bytesPerCall.median / 7)} B/message)\n`);
if (arg('no-write', false) !== true) writeResult('pipeline', res, table);
