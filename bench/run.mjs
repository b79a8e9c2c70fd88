#!/usr/bin/env node
/**
 * `pnpm bench`: builds what is missing, then runs every benchmark in sequence, each in its own process
 * and killed if it overruns its time bound, and leaves bench/results/latest.md with all the figures.
 *
 *   node bench/run.mjs [--quick] [--full] [--only parser,proxy] [--build]
 *
 * Default (~22 minutes): parser (5 × 1 s rounds), proxy (250/500/1000/1500/2000 cps × 10 s for tsips tm+rr,
 * tsips tm+rr+dialog, Kamailio and the Node floor), dialog-memory (50,000 dialogs set up at 250 cps), soak
 * for 2 minutes at 200 cps. --full runs the soak for the 10 minutes the target is stated for (~28 minutes in
 * all); --quick shortens everything (smoke run, ~4 minutes, figures rough, written to
 * bench/results/.run/quick/ instead of bench/results/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { arg, BENCH_DIR, ROOT, RESULTS_DIR } from './lib/results.mjs';
import { tsipsBuilt } from './lib/procs.mjs';

const quick = arg('quick', false) === true;
const full = arg('full', false) === true;
const only = arg('only', '');

const soakMinutes = full ? 10 : quick ? 0.5 : 2;
// A smoke run's figures are rough: they go to bench/results/.run/quick/, not over the published ones.
const QUICK_DIR = join(BENCH_DIR, 'results', '.run', 'quick');
const outDir = quick ? QUICK_DIR : RESULTS_DIR;
const plan = [
  { name: 'parser', args: quick ? ['--rounds', '3', '--round-ms', '300', '--warmup-ms', '300'] : [], limitS: 300 },
  {
    name: 'proxy',
    args: quick ? ['--rates', '200,500', '--seconds', '3', '--warmup-s', '2'] : ['--rates', '250,500,1000,1500,2000', '--seconds', '10'],
    limitS: quick ? 300 : 1500,
  },
  { name: 'dialog-memory', args: quick ? ['--dialogs', '5000', '--rate', '250'] : [], limitS: quick ? 150 : 600 },
  { name: 'soak', args: ['--minutes', String(soakMinutes), ...(quick ? ['--rate', '100', '--sample-s', '3'] : [])], limitS: soakMinutes * 60 + 180 },
].filter((b) => !only || String(only).split(',').includes(b.name));

if (arg('build', false) === true || !tsipsBuilt()) {
  process.stdout.write('building the workspace (pnpm build)…\n');
  const r = spawnSync('pnpm', ['build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.stdout.write('pnpm build failed: benchmarks that need a built package will say so\n');
}
if (!quick && !full) process.stdout.write(`soak runs ${soakMinutes} min here (--full for the 10-minute soak the target is stated for)\n`);

const summary = [];
for (const b of plan) {
  process.stdout.write(`\n=== ${b.name} ${b.args.join(' ')} (at most ${b.limitS}s) ===\n`);
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(BENCH_DIR, `${b.name}.mjs`), ...b.args], {
    cwd: ROOT,
    stdio: 'inherit',
    detached: true,
    env: quick ? { ...process.env, TSIPS_BENCH_RESULTS_DIR: QUICK_DIR } : process.env,
  });
  // Killing the process group also ends the sipp/kamailio/tsips children a bench started.
  const timer = setTimeout(() => {
    process.stdout.write(`${b.name}: over ${b.limitS}s, stopping it\n`);
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }, b.limitS * 1000);
  const code = await new Promise((r) => child.once('exit', (c, s) => r(c ?? s)));
  clearTimeout(timer);
  summary.push(`${b.name}: ${code === 0 ? 'ok' : `exit ${code}`} in ${Math.round((Date.now() - t0) / 1000)}s`);
}
process.stdout.write(`\n${summary.join('\n')}\nfigures: ${join(outDir, 'latest.md')}\n`);
process.exitCode = summary.every((l) => / ok /.test(l)) ? 0 : 1;
