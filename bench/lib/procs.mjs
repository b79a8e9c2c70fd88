/**
 * Process plumbing shared by the proxy and soak benchmarks: starting the servers under test, waiting for
 * their UDP port, reading CPU time and memory from /proc, installing missing Debian packages.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, BENCH_DIR } from './results.mjs';

export const HOST = '127.0.0.1';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * utime+stime (µs), the stime part alone (µs: syscalls such as the UDP sends), ppid and RSS (bytes) of one
 * process from /proc/<pid>/stat, or undefined if gone.
 */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: split after its closing parenthesis.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return { ppid: Number(f[1]), cpuUs: (ticks * 1e6) / CLK_TCK, sysUs: (Number(f[12]) * 1e6) / CLK_TCK, rss: Number(f[21]) * PAGE };
}

/** The pid and every live descendant (Kamailio forks its workers). */
export function processTree(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(d);
    if (s === undefined) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(d));
    children.set(s.ppid, list);
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    for (const c of children.get(p) ?? []) todo.push(c);
  }
  return out;
}

/** Summed CPU µs (and its system part) and RSS bytes over a process tree. */
export function treeUsage(pid) {
  let cpuUs = 0;
  let sysUs = 0;
  let rss = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    const s = procStat(p);
    if (s === undefined) continue;
    cpuUs += s.cpuUs;
    sysUs += s.sysUs;
    rss += s.rss;
  }
  return { cpuUs, sysUs, rss, processes: pids.length };
}

/** Machine-wide UDP receive-buffer overflows (datagrams dropped because a socket's buffer was full). */
export function udpRcvbufErrors() {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  if (lines.length < 2) return null;
  const head = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/);
  const i = head.indexOf('RcvbufErrors');
  return i < 0 ? null : Number(vals[i]);
}

/** Is something bound to udp 127.0.0.1:port (from /proc/net/udp, no packet sent)? */
export function udpBound(port) {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((l) => l.trim().split(/\s+/)[1] === want);
}

export async function waitUdp(port, child, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (udpBound(port)) return;
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before binding udp ${port}`);
    await sleep(100);
  }
  throw new Error(`nothing bound udp ${HOST}:${port} after ${ms} ms`);
}

/** Spawns a process whose stderr/stdout are kept (last 64 KB) for error reports. */
export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.log = '';
  const keep = (d) => {
    child.log = (child.log + d.toString()).slice(-65536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  return child;
}

export async function stop(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  await child.exited;
  clearTimeout(t);
}

/**
 * The servers the proxy, dialog-memory and soak benchmarks run; each listens on its own loopback port.
 * - tsips: bench/configs/tsips-proxy.mjs, tm t_relay + rr (the relay Kamailio's config does).
 * - tsips-dialog: the same config plus create_dialog() on each initial INVITE (TSIPS_BENCH_DIALOG=1).
 * - tsips-default: `tsips` with no config at all, the shipped default (rr + tm + dialog); the memory probe is
 *   preloaded with --import since there is no bench config to install it.
 * - floor / floor-cb: the Node UDP relay, without / with a Promise-wrapped send callback per datagram.
 */
export const SERVERS = {
  tsips: { port: 15080, miPort: 18888 },
  'tsips-dialog': { port: 15080, miPort: 18888 },
  'tsips-default': { port: 15080, miPort: 18888 },
  kamailio: { port: 15090 },
  floor: { port: 15100 },
  'floor-cb': { port: 15100 },
};

export function tsipsBuilt() {
  return ['apps/server/dist/bin.js', 'packages/core-sip/dist/index.js', 'packages/rr/dist/index.js', 'packages/tm/dist/index.js', 'packages/dialog/dist/index.js'].every(
    (f) => existsSync(join(ROOT, f)),
  );
}

/** Starts one server under test; returns { child, pid, note, port }. */
export async function startServer(name, { uacPort, uasPort, env = {}, nodeArgs = [] }) {
  const s = SERVERS[name];
  if (s === undefined) throw new Error(`unknown server ${name}`);
  const isTsips = name.startsWith('tsips');
  let child;
  let note = '';
  if (isTsips) {
    if (!tsipsBuilt()) throw new Error('tsips is not built: run `pnpm build` first');
    const listen = ['--listen', `udp:${HOST}:${s.port}`, '--mi-port', String(s.miPort), '--log-level', 'warn'];
    if (name === 'tsips-default') {
      child = start(
        process.execPath,
        ['--expose-gc', '--import', pathToFileURL(join(BENCH_DIR, 'lib/mem-probe.mjs')).href, ...nodeArgs, 'apps/server/dist/bin.js', ...listen],
        { env: { ...process.env, ...env } },
      );
      note = 'STATEFUL default server, no config (rr + tm + dialog: record_route, create_dialog, t_relay); dialog: yes';
    } else {
      if (name === 'tsips-dialog') env = { ...env, TSIPS_BENCH_DIALOG: '1' };
      child = start(process.execPath, ['--expose-gc', ...nodeArgs, 'apps/server/dist/bin.js', '--config', join(BENCH_DIR, 'configs/tsips-proxy.mjs'), ...listen], {
        env: { ...process.env, ...env },
      });
    }
  } else if (name === 'kamailio') {
    const modules = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules', '/usr/lib64/kamailio/modules'].find((d) => existsSync(join(d, 'tm.so')));
    if (modules === undefined) throw new Error('kamailio modules directory not found');
    const run = join(BENCH_DIR, 'results', '.run');
    mkdirSync(run, { recursive: true });
    child = start('kamailio', ['-f', join(BENCH_DIR, 'configs/kamailio.cfg'), '-DD', '-E', '-x', 'tlsf', '-m', '256', '-M', '32', '-L', modules, '-Y', run]);
    note = 'children=1, tm+rr+sl+maxfwd, tlsf, -m 256 -M 32, maxbuffer 4 MiB';
  } else {
    const extra = name === 'floor-cb' ? ['--send-callback'] : [];
    child = start(process.execPath, [
      ...nodeArgs,
      join(BENCH_DIR, 'floor-relay.mjs'),
      '--port',
      String(s.port),
      '--uac',
      String(uacPort),
      '--uas',
      String(uasPort),
      ...extra,
    ]);
    note = `UDP relay by source port, parses nothing${extra.length ? ', every send awaited through a callback Promise' : ''}`;
  }
  await waitUdp(s.port, child);
  await sleep(300); // let workers finish forking / the event loop settle
  if (isTsips && name !== 'tsips-default') {
    const m = /tsips bench config: ([^\n]*)/.exec(child.log);
    note = m ? m[1] : 'config banner not seen';
  }
  if (name.startsWith('floor')) {
    const m = /SO_RCVBUF (\d+)/.exec(child.log);
    note += m ? `, SO_RCVBUF ${Math.round(Number(m[1]) / 1048576)} MiB (kernel figure, 2× the size asked)` : '';
  }
  return { child, pid: child.pid, note, port: s.port };
}

/**
 * Heap and RSS of the tsips server after a full GC, through the memory probe of bench/configs/tsips-proxy.mjs
 * (SIGUSR2 → $TSIPS_BENCH_MEM_FILE). Undefined if the probe did not answer within 3 s.
 */
export async function tsipsMemory(pid, file) {
  const { rmSync } = await import('node:fs');
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    await sleep(50);
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // not written yet (or half written): try again
    }
  }
  return undefined;
}

/** Installs a Debian package when the command is missing and we are root; returns whether it is there. */
export function ensureCommand(cmd, pkg) {
  const has = () => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (has()) return true;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${cmd} missing and not root: install the Debian package ${pkg}\n`);
    return false;
  }
  process.stderr.write(`installing ${pkg} with apt-get…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', pkg], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', pkg], { stdio: 'inherit', env });
  }
  return has();
}
