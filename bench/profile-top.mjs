#!/usr/bin/env node
/**
 * Prints the top self-time and inclusive-time functions of the newest .cpuprofile in a directory (from
 * `node --cpu-prof`), so a profile can be read without a browser.
 *
 *   node bench/profile-top.mjs <dir or file> [--top 25] [--filter core-sip] [--skip-s 0] [--busy]
 *
 * --skip-s drops the first seconds of samples (start-up and the warm-up rate), so a server profile shows the
 * steady state; --busy prints shares of the busy (non-idle) time instead of the whole profile.
 *
 * Also prints self time per package (packages/<name>, apps/<name>, node internals, V8) as a share of the
 * busy (non-idle) time, which says which package to look at first in a server profile.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { arg } from './lib/results.mjs';

// Piped into head: stop quietly when the reader has gone.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const target = process.argv[2] ?? 'bench/results/.run/prof';
const TOP = Number(arg('top', 25));
const filter = arg('filter', '');
const SKIP_US = Number(arg('skip-s', 0)) * 1e6;
const BUSY = arg('busy', false) === true;
let file = target;
if (statSync(target).isDirectory()) {
  const list = readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f));
  list.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (list.length === 0) throw new Error(`no .cpuprofile in ${target}`);
  file = list[0];
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${basename(n.callFrame.url || '')}:${n.callFrame.lineNumber + 1}`;

const self = new Map();
const total = new Map();
const byPackage = new Map();
let all = 0;
let idle = 0;
/** Which package a frame's script belongs to. */
const packageOf = (url) => {
  const m = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  if (url.startsWith('node:') || /^[a-z_]+$/.test(url)) return 'node internals';
  if (url.includes('node_modules')) return 'node_modules';
  if (url === '') return 'V8 / native';
  return basename(url).replace(/\?.*/, '');
};
let at = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0;
  at += dt;
  if (at < SKIP_US) continue;
  all += dt;
  const n = byId.get(prof.samples[i]);
  self.set(label(n), (self.get(label(n)) ?? 0) + dt);
  if (n.callFrame.functionName === '(idle)') idle += dt;
  else byPackage.set(packageOf(n.callFrame.url || ''), (byPackage.get(packageOf(n.callFrame.url || '')) ?? 0) + dt);
  // Inclusive: count each function once per sample along its stack.
  const seen = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id));
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + dt);
  }
}
const show = (title, m) => {
  process.stdout.write(`\n${title} (${file})\n`);
  const rows = [...m]
    .filter(([l]) => !filter || l.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP);
  const base = BUSY ? all - idle : all;
  for (const [l, t] of rows) process.stdout.write(`${((t / base) * 100).toFixed(1).padStart(6)}%  ${l}\n`);
};
show('self time', self);
show('inclusive time', total);
process.stdout.write(`\nself time by package, share of busy time (${(((all - idle) / all) * 100).toFixed(1)}% of the profile was busy)\n`);
for (const [p, t] of [...byPackage].sort((a, b) => b[1] - a[1])) process.stdout.write(`${((t / (all - idle)) * 100).toFixed(1).padStart(6)}%  ${p}\n`);
