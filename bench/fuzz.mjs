#!/usr/bin/env node
/**
 * `pnpm fuzz -- --count 1000000 [--seed S]`: the long variant of test/e2e/attack.test.ts. Starts the built
 * binary with its default config (only the ports differ from `pnpm start`), sends the RFC 4475 corpus
 * unmodified, then `--count` seeded mutations in rounds (90 % UDP, 10 % TCP) while an OPTIONS liveness probe
 * must be answered within 1 s, and ends with a sipp call through the server. Loopback only; bounded by
 * `--count` and `--minutes`. Exit 0: survived; 1: the server died or stalled (the seed and the last inputs
 * are printed); 2: could not start.
 *
 *   node --import tsx bench/fuzz.mjs [--count 1000000] [--seed S] [--from 0] [--minutes 60] [--round 20000]
 *                                   [--tcp-share 0.1] [--log /tmp/tsips-fuzz.log]
 *   node --import tsx bench/fuzz.mjs --seed S --show 2383,tcp:1073741841   (print inputs #2383 (UDP) and #1073741841 (TCP, as failures label it), no server)
 *
 * Runs through tsx so it uses the same mutator as the test (packages/testkit/src/sip-mutator.ts).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { arg, ROOT } from './lib/results.mjs';
import { tsipsBuilt, HOST, procStat } from './lib/procs.mjs';
import { runAttack, AttackFailure } from '../packages/testkit/src/sip-attack.ts';
import { CrashWatch } from '../packages/testkit/src/crash-watch.ts';
import { seedFromEnv } from '../packages/testkit/src/prng.ts';
import { mutationAt } from '../packages/testkit/src/sip-mutator.ts';
import { freePort } from '../packages/testkit/src/ports.ts';
import { RFC4475_DIR } from '../packages/testkit/src/corpus.ts';

const MAX_COUNT = 100_000_000;
const count = Math.min(Number(arg('count', 1_000_000)), MAX_COUNT);
const seedArg = arg('seed', undefined);
const seed = seedArg === undefined ? seedFromEnv() : seedFromEnv({ TSIPS_FUZZ_SEED: String(seedArg) });
const from = Number(arg('from', 0));
const minutes = Number(arg('minutes', 60));
const round = Number(arg('round', 20_000));
const tcpShare = Number(arg('tcp-share', 0.1));
const logFile = arg('log', undefined);

const show = arg('show', undefined);
if (show !== undefined) {
  // Placeholder ports (a run uses free ones): five digits like an ephemeral port, so lengths and therefore the
  // positions operators pick match a run's whenever its ports are five digits too.
  const targets = { serverPort: 45060, peerPort: 40000, sinkPort: 40001 };
  for (const item of String(show).split(',')) {
    const tcp = item.startsWith('tcp:');
    const index = Number(tcp ? item.slice(4) : item);
    const m = mutationAt(seed, index, targets, tcp ? 'tcp' : 'udp');
    process.stdout.write(`#${m.index} ${m.transport} ${m.kind} [${m.ops.join(',')}] ${m.data.length} B\n${JSON.stringify(m.data.toString('latin1'))}\n`);
  }
  process.exit(0);
}
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(round) || round < 1 || !(minutes > 0) || !(tcpShare >= 0 && tcpShare < 1)) {
  process.stderr.write('fuzz: --count and --round must be positive integers, --minutes > 0, 0 <= --tcp-share < 1\n');
  process.exit(2);
}
if (!tsipsBuilt()) {
  process.stderr.write('fuzz: tsips is not built: run `pnpm build` first (the fuzz attacks apps/server/dist/bin.js)\n');
  process.exit(2);
}

const [port, miPort] = [await freePort(), await freePort()];
// The only deviation from `pnpm start`: free loopback ports instead of 5060/8888.
const child = spawn(
  process.execPath,
  [join(ROOT, 'apps/server/dist/bin.js'), '--listen', `udp:${HOST}:${port}`, '--listen', `tcp:${HOST}:${port}`, '--mi-port', String(miPort)],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
);
const log = logFile === undefined ? undefined : createWriteStream(String(logFile));
let tail = '';
const watch = new CrashWatch();
let exited;
const keep = (d) => {
  log?.write(d);
  tail = (tail + d.toString()).slice(-65536);
  watch.push(d.toString());
};
child.stdout.on('data', keep);
child.stderr.on('data', keep);
child.once('exit', (code, sig) => (exited = `code ${code} signal ${sig}`));
const started = Date.now();
while (!tail.includes('"msg":"tsips started"')) {
  if (exited !== undefined || Date.now() - started > 20_000) {
    process.stderr.write(`fuzz: tsips did not start (${exited ?? 'timeout'}):\n${tail}\n`);
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 50));
}

process.stdout.write(
  `fuzz: seed ${seed}, ${count} mutations from #${from} (${Math.round(tcpShare * 100)} % TCP) in rounds of ${round}, at most ${minutes} min, tsips on ${HOST}:${port}${logFile ? `, log ${logFile}` : ''}\n`,
);
const deadline = Date.now() + minutes * 60_000;
const total = { udp: 0, tcp: 0, corpus: 0, probes: 0, probeMaxMs: 0, replies: 0, relayed: 0 };
let code = 0;
try {
  for (let done = 0; done < count && Date.now() < deadline; done += round) {
    const n = Math.min(round, count - done);
    const tcp = Math.round(n * tcpShare);
    const s = await runAttack({
      port,
      seed,
      firstIndex: from + done,
      udpCount: n - tcp,
      tcpCount: tcp,
      corpusDir: done === 0 ? RFC4475_DIR : undefined,
      alive: () => exited === undefined && watch.found === '',
      maxMs: deadline - Date.now(),
    });
    total.udp += s.udpSent;
    total.tcp += s.tcpSent;
    total.corpus += s.corpusUdp + s.corpusTcp;
    total.probes += s.probes;
    total.probeMaxMs = Math.max(total.probeMaxMs, s.probeMaxMs);
    total.replies += s.replies;
    total.relayed += s.relayed;
    const secs = (Date.now() - started) / 1000;
    // RSS by round: a leak per hostile input (a transaction never freed) shows as steady growth.
    const rss = Math.round((procStat(child.pid)?.rss ?? 0) / 1048576);
    process.stdout.write(
      `fuzz: ${total.udp + total.tcp}/${count} sent (${total.udp} udp, ${total.tcp} tcp), ${total.probes} probes (slowest ${total.probeMaxMs} ms), ${total.replies} replies, ${total.relayed} relayed, ${Math.round((total.udp + total.tcp) / secs)}/s, server RSS ${rss} MiB, ${Math.round(secs)} s\n`,
    );
  }
  const call = await sippCall(port);
  if (!call.ok) throw new Error(`the server no longer relays a sipp call after the attack:\n${call.out.slice(-3000)}`);
  if (watch.found !== '') throw new Error('the server logged a crash-like error');
  process.stdout.write(`fuzz: survived (seed ${seed}): ${JSON.stringify(total)}; a sipp call relayed afterwards\n`);
} catch (err) {
  code = 1;
  const why = err instanceof AttackFailure ? err.message : String(err?.message ?? err);
  process.stdout.write(
    `fuzz: FAILED (seed ${seed}, replay: pnpm fuzz -- --seed ${seed} --from ${from}): ${why}\nserver ${exited === undefined ? 'still running' : `exited (${exited})`}; its output:\n${watch.found || tail.slice(-4000)}\n`,
  );
} finally {
  if (exited === undefined) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await new Promise((r) => child.once('exit', r));
    clearTimeout(t);
  }
  log?.end();
}
process.exit(code);

/** One INVITE/ACK/BYE call sipp UAC → tsips → sipp UAS, with the test's scenarios and free ports. */
async function sippCall(proxyPort) {
  const [uasPort, uacPort, uasCp, uacCp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const sc = join(ROOT, 'test/sipp');
  const run = (args) =>
    new Promise((resolve) => {
      const p = spawn('sipp', ['-nostdin', '-timeout', '30s', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.once('error', (e) => resolve({ code: -1, out: String(e) }));
      p.once('exit', (c) => resolve({ code: c, out }));
    });
  const uas = run(['-sf', join(sc, 'uas-call.xml'), '-i', HOST, '-p', String(uasPort), '-cp', String(uasCp), '-m', '1']);
  const uac = run([
    `${HOST}:${uasPort}`,
    '-sf',
    join(sc, 'uac-call.xml'),
    '-rsa',
    `${HOST}:${proxyPort}`,
    '-s',
    'bob',
    '-i',
    HOST,
    '-p',
    String(uacPort),
    '-cp',
    String(uacCp),
    '-m',
    '1',
  ]);
  const [a, b] = await Promise.all([uac, uas]);
  return { ok: a.code === 0 && b.code === 0, out: a.out + b.out };
}
