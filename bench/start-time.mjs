#!/usr/bin/env node
/**
 * A newcomer's first minutes, timed: clones the committed HEAD into a temporary directory (a fresh clone:
 * no dist/, no caches), runs `pnpm install` there, then `pnpm start` once (the first start) and `--later`
 * more times, each timed from the spawn of `pnpm start` to the server's "tsips started" line, and stopped
 * with SIGTERM. Targets (issue 11): first start ≤ 15 s, every later start ≤ 3 s, and neither the install
 * nor the start prints a warning or a banner.
 *
 *   node bench/start-time.mjs [--later 3] [--keep] [--no-write]
 *
 * Loopback only (the server listens on 127.0.0.1, free ports); every step is bounded in time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { arg, environment, fmt, mdTable, ROOT, writeResult } from './lib/results.mjs';

const TARGET_FIRST_S = 15;
const TARGET_LATER_S = 3;
const START_LIMIT_MS = 120_000;
const later = Number(arg('later', 3));
const keep = arg('keep', false) === true;
const write = arg('no-write', false) !== true;

/** A free UDP port on 127.0.0.1 (the MI port is TCP; a port free for UDP is almost always free for TCP too). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const isJson = (l) => {
  try {
    return typeof JSON.parse(l) === 'object';
  } catch {
    return false;
  }
};

/** `pnpm start` in `dir` until "tsips started"; returns seconds and the lines that are neither pnpm's "> …" echo nor JSON. */
async function timedStart(dir) {
  const args = ['start', '--listen', `udp:127.0.0.1:${await freePort()}`, '--mi-port', String(await freePort())];
  const t0 = performance.now();
  const proc = spawn('pnpm', args, { cwd: dir, detached: true, env: { ...process.env, TSIPS_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((res) => proc.once('exit', res));
  let seconds = null;
  try {
    seconds = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "tsips started" within ${START_LIMIT_MS / 1000} s:\n${out}`)), START_LIMIT_MS);
      const onData = (d) => {
        out += d.toString();
        if (out.includes('"msg":"tsips started"')) {
          clearTimeout(timer);
          resolve((performance.now() - t0) / 1000);
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`pnpm start exited (${code}) before starting:\n${out}`)));
    });
  } finally {
    process.kill(-proc.pid, 'SIGTERM');
    const t = setTimeout(() => process.kill(-proc.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  const before = out.slice(0, out.indexOf('"msg":"tsips started"')).split('\n').slice(0, -1);
  const noise = before.filter((l) => l.trim() !== '' && !l.startsWith('> ') && !isJson(l));
  return { seconds, noise };
}

const env = environment();
const dir = mkdtempSync(join(tmpdir(), 'tsips-fresh-'));
process.stdout.write(`fresh clone of ${env.commit} in ${dir} · load average ${env.loadavg.join(' ')} on ${env.cores} cores\n`);
try {
  const clone = spawnSync('git', ['clone', '-q', '--no-hardlinks', ROOT, dir], { encoding: 'utf8', timeout: 120_000 });
  if (clone.status !== 0) throw new Error(`git clone failed: ${clone.stderr}`);

  const t0 = performance.now();
  // --offline uses the pnpm store this machine already has; without one, the registry.
  let install = spawnSync('pnpm', ['install', '--frozen-lockfile', '--offline'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (install.status !== 0) install = spawnSync('pnpm', ['install', '--frozen-lockfile'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (install.status !== 0) throw new Error(`pnpm install failed:\n${install.stdout}${install.stderr}`);
  const installS = (performance.now() - t0) / 1000;
  const installWarnings = `${install.stdout}${install.stderr}`.split('\n').filter((l) => /\bWARN\b/.test(l));

  const first = await timedStart(dir);
  process.stdout.write(`first start: ${fmt(first.seconds, 2)} s\n`);
  const laters = [];
  for (let i = 0; i < later; i++) {
    laters.push(await timedStart(dir));
    process.stdout.write(`later start ${i + 1}: ${fmt(laters[i].seconds, 2)} s\n`);
  }
  const laterMax = laters.length ? Math.max(...laters.map((r) => r.seconds)) : null;
  const noise = [...first.noise, ...laters.flatMap((r) => r.noise)];
  const loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);

  const rows = [
    ['pnpm install (fresh clone)', `${fmt(installS, 1)} s`, 'no WARN', installWarnings.length ? `**${installWarnings.length} WARN**` : '**met**'],
    ['first pnpm start → "tsips started"', `${fmt(first.seconds, 2)} s`, `≤ ${TARGET_FIRST_S} s`, first.seconds <= TARGET_FIRST_S ? '**met**' : '**not met**'],
    [
      `later starts (${laters.length}), slowest`,
      laterMax === null ? '–' : `${fmt(laterMax, 2)} s`,
      `≤ ${TARGET_LATER_S} s`,
      laterMax === null ? 'not measured' : laterMax <= TARGET_LATER_S ? '**met**' : '**not met**',
    ],
    ['banner or warning lines before "tsips started"', String(noise.length), '0', noise.length ? '**not met**' : '**met**'],
  ];
  const table = [
    '## Start time of a fresh clone (`start-time.mjs`)',
    '',
    mdTable(['step', 'measured', 'target', 'status'], rows),
    '',
    `Load average before ${env.loadavg.join(' ')}, after ${loadAfter.join(' ')} (${env.cores} cores).`,
  ].join('\n');
  process.stdout.write(`\n${table}\n`);
  for (const w of installWarnings) process.stdout.write(`install: ${w}\n`);
  for (const n of noise) process.stdout.write(`start: ${n}\n`);
  if (write) {
    writeResult(
      'start-time',
      {
        installS,
        installWarnings,
        firstS: first.seconds,
        laterS: laters.map((r) => r.seconds),
        noise,
        loadAfter,
        targets: { firstS: TARGET_FIRST_S, laterS: TARGET_LATER_S },
      },
      table,
    );
  }
} finally {
  if (keep) process.stdout.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
