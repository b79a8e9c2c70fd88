#!/usr/bin/env node
/**
 * Parser throughput: messages/second for tsips (@core/sip parseMessage), the `sip` npm package and JsSIP's
 * parser, in one process, on the corpus in bench/corpus/. Two workloads per parser: the INVITE alone and
 * the whole corpus round-robin (INVITE+SDP, 180, 200+SDP, REGISTER with Authorization, in-dialog ACK/BYE).
 * Two depths: "parse" (what the parser does by itself) and "proxy" (parse + read every header a proxy
 * needs: all Vias, From/To tags, CSeq, Call-ID, Routes, Max-Forwards).
 *
 *   node bench/parser.mjs [--round-ms 1000] [--rounds 5] [--warmup-ms 1000] [--source] [--only tsips] [--no-write]
 *
 * Profile: node --cpu-prof --cpu-prof-dir=bench/results/.run/prof bench/parser.mjs --only 'tsips parse+proxy' --no-write
 *          node bench/profile-top.mjs bench/results/.run/prof
 *
 * Inputs are what each library accepts: tsips gets the datagram Buffer; `sip` and JsSIP get a string
 * already decoded outside the timed loop (their transports decode first, so this favours them).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { BENCH_DIR, arg, fmt, mdTable, median, writeResult } from './lib/results.mjs';
import { loadCoreSip } from './lib/core.mjs';

const require = createRequire(import.meta.url);
const ROUND_MS = Number(arg('round-ms', 1000));
const ROUNDS = Number(arg('rounds', 5));
const WARMUP_MS = Number(arg('warmup-ms', 1000));
const ONLY = arg('only', '');
const FROM_SOURCE = arg('source', false) === true;

const corpusDir = join(BENCH_DIR, 'corpus');
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.sip'))
  .sort()
  .map((f) => ({ name: f, buf: readFileSync(join(corpusDir, f)) }));
for (const c of corpus) c.str = c.buf.toString('latin1');
const invite = corpus.filter((c) => c.name === 'invite.sip');

const { mod: core, from: coreFrom } = await loadCoreSip(FROM_SOURCE);
const sip = require('sip');
// JsSIP is a root devDependency; without it its rows are left out rather than failing the whole run.
let JsSIPParser;
let JsSIPGrammar;
try {
  JsSIPParser = require('jssip/lib/Parser.js');
  JsSIPGrammar = require('jssip/lib/Grammar.js');
} catch {
  process.stderr.write('jssip is not installed (pnpm add -w -D jssip): its rows are skipped\n');
}

// Every candidate returns something derived from what it read so the work cannot be optimised away.
const candidates = {
  'tsips parse': (c) => core.parseMessage(c.buf).count,
  'tsips parse+proxy': (c) => {
    const m = core.parseMessage(c.buf);
    let n = 0;
    const vias = m.via;
    for (let i = 0; i < vias.length; i++) n += vias[i].branch?.length ?? 0;
    n += (m.from.tag?.length ?? 0) + (m.to.tag?.length ?? 0);
    n += m.cseq.seq + m.callId.length + m.routes.length + (m.maxForwards ?? 0);
    return n;
  },
  'sip parse': (c) => sip.parse(c.str).headers.cseq.seq,
  'sip parse+proxy': (c) => {
    const m = sip.parse(c.str);
    const h = m.headers;
    let n = 0;
    for (const v of h.via) n += v.params.branch?.length ?? 0;
    n += (h.from.params.tag?.length ?? 0) + (h.to.params.tag?.length ?? 0);
    n += h.cseq.seq + h['call-id'].length + (h.route?.length ?? 0) + Number(h['max-forwards'] ?? 0);
    return n;
  },
  'jssip parse': (c) => JsSIPParser.parseMessage(c.str, undefined).cseq,
  // JsSIP decodes From/To/Call-ID/CSeq and the top Via while parsing; the other Vias and Routes stay text.
  'jssip parse+proxy': (c) => {
    const m = JsSIPParser.parseMessage(c.str, undefined);
    let n = 0;
    for (const v of m.getHeaders('via')) n += JsSIPGrammar.parse(v, 'Via').branch?.length ?? 0;
    n += (m.from_tag?.length ?? 0) + (m.to_tag?.length ?? 0) + m.cseq + m.call_id.length;
    for (const r of m.getHeaders('route')) n += JsSIPGrammar.parse(r, 'Route') === -1 ? 0 : 1;
    n += Number(m.getHeader('max-forwards') ?? 0);
    return n;
  },
};

let sink = 0;
/** Runs fn over the inputs round-robin for ~ms; returns messages/second. Checks the clock every 256 calls. */
function timed(fn, inputs, ms) {
  const len = inputs.length;
  let ops = 0;
  const t0 = performance.now();
  let now = t0;
  const end = t0 + ms;
  while (now < end) {
    for (let i = 0; i < 256; i++) sink += fn(inputs[(ops + i) % len]);
    ops += 256;
    now = performance.now();
  }
  return (ops * 1000) / (now - t0);
}

const workloads = { invite, mix: corpus };
if (JsSIPParser === undefined) for (const k of Object.keys(candidates)) if (k.startsWith('jssip')) delete candidates[k];
// Check every candidate actually understands every corpus message before timing anything.
for (const [name, fn] of Object.entries(candidates))
  for (const c of corpus) {
    const r = fn(c);
    if (typeof r !== 'number' || Number.isNaN(r)) throw new Error(`${name} failed on ${c.name}: ${String(r)}`);
  }

const results = [];
for (const [wname, inputs] of Object.entries(workloads)) {
  for (const [name, fn] of Object.entries(candidates)) {
    if (ONLY && !name.startsWith(ONLY)) continue;
    timed(fn, inputs, WARMUP_MS);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(timed(fn, inputs, ROUND_MS));
    const ops = median(rounds);
    results.push({ workload: wname, parser: name, opsPerSec: Math.round(ops), rounds: rounds.map(Math.round) });
    process.stdout.write(`${wname.padEnd(7)} ${name.padEnd(20)} ${fmt(ops).padStart(12)} msg/s  (rounds: ${rounds.map((x) => fmt(x)).join(', ')})\n`);
  }
}

const get = (w, p) => results.find((r) => r.workload === w && r.parser === p)?.opsPerSec;
const ratios = {};
for (const w of Object.keys(workloads))
  for (const depth of ['parse', 'parse+proxy']) {
    const t = get(w, `tsips ${depth}`);
    ratios[`${w} ${depth}`] = {
      vsSip: t && get(w, `sip ${depth}`) ? t / get(w, `sip ${depth}`) : null,
      vsJssip: t && get(w, `jssip ${depth}`) ? t / get(w, `jssip ${depth}`) : null,
    };
  }
const inviteProxy = get('invite', 'tsips parse+proxy');
const targets = {
  inviteProxyPerSec: { target: 1_000_000, measured: inviteProxy ?? null, met: inviteProxy !== undefined && inviteProxy >= 1_000_000 },
  vsSip: { target: 7, measured: ratios['invite parse+proxy'].vsSip, met: (ratios['invite parse+proxy'].vsSip ?? 0) >= 7 },
};
process.stdout.write(`\ntsips/sip (INVITE, parse+proxy headers): ${fmt(targets.vsSip.measured, 2)}×  target ≥ 7× → ${targets.vsSip.met ? 'met' : 'NOT met'}\n`);
process.stdout.write(`tsips INVITE parse+proxy: ${fmt(inviteProxy)} msg/s  target ≥ 1,000,000 → ${targets.inviteProxyPerSec.met ? 'met' : 'NOT met'}\n`);

const rows = [];
for (const w of Object.keys(workloads))
  for (const depth of ['parse', 'parse+proxy']) {
    const r = ratios[`${w} ${depth}`];
    rows.push([
      w,
      depth,
      fmt(get(w, `tsips ${depth}`)),
      fmt(get(w, `sip ${depth}`)),
      fmt(get(w, `jssip ${depth}`)),
      r.vsSip ? `${fmt(r.vsSip, 2)}×` : '–',
      r.vsJssip ? `${fmt(r.vsJssip, 2)}×` : '–',
    ]);
  }
const table = [
  '## Parser (messages/s, one core, median of rounds)',
  '',
  mdTable(['workload', 'depth', 'tsips', 'sip', 'JsSIP', 'tsips/sip', 'tsips/JsSIP'], rows),
  '',
  `Targets: INVITE parse+proxy ≥ 1,000,000/s → **${targets.inviteProxyPerSec.met ? 'met' : 'not met'}** (${fmt(inviteProxy)}); ≥ 7× sip → **${targets.vsSip.met ? 'met' : 'not met'}** (${fmt(targets.vsSip.measured, 2)}×). tsips from ${coreFrom}.`,
].join('\n');
if (arg('no-write', false) !== true)
  writeResult(
    'parser',
    {
      coreFrom,
      roundMs: ROUND_MS,
      rounds: ROUNDS,
      warmupMs: WARMUP_MS,
      corpus: corpus.map((c) => ({ name: c.name, bytes: c.buf.length })),
      results,
      ratios,
      targets,
      sink: sink % 7,
    },
    table,
  );
