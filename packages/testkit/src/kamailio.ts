/**
 * A throwaway Kamailio (the Debian `kamailio` package) on 127.0.0.1 and a free UDP port, for tests that
 * need a real third-party SIP peer: a digest challenger for uac_auth, a registrar for uac-registrant, a
 * presence server for pua. The test gives the script (modules and routes); the launcher writes the core
 * settings around it (listen, foreground, no DNS, one worker), starts `kamailio -DD -E`, waits until the
 * socket is bound, and keeps its log for failure messages. Missing binary or modules fail at once.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnAndWait, terminate } from './process.js';
import { which } from './which.js';

const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
  '/usr/lib64/kamailio/modules',
];

export interface KamailioServer {
  /** The UDP port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Temporary directory holding kamailio.cfg and the run dir; removed by stop(). */
  readonly dir: string;
  /** Everything it logged so far (stderr, `-E`). */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s) and removal of the directory. */
  stop(): Promise<void>;
}

export interface KamailioOptions {
  /** Kamailio's `debug` level (default 2: L_INFO and above, so xlog("L_INFO", …) shows; 3 adds debug). */
  debug?: number;
  /** Extra core lines placed before the script (`tcp_children=1`…). */
  core?: readonly string[];
}

/** The kamailio binary: $TSIPS_KAMAILIO, then PATH, then /usr/sbin (often not in a user's PATH). */
function kamailioBin(): string {
  const bin = process.env['TSIPS_KAMAILIO'] ?? which('kamailio') ?? which('/usr/sbin/kamailio');
  if (bin === undefined) throw new Error('kamailio not found: install the Debian package "kamailio" (apt-get install kamailio), or set TSIPS_KAMAILIO');
  return bin;
}

function modulesDir(): string {
  const dir = process.env['TSIPS_KAMAILIO_MODULES'] ?? MODULE_DIRS.find((d) => existsSync(join(d, 'tm.so')));
  if (dir === undefined) throw new Error(`kamailio modules not found in ${MODULE_DIRS.join(', ')}: install the Debian package "kamailio", or set TSIPS_KAMAILIO_MODULES`);
  return dir;
}

/** True once a UDP socket is bound to 127.0.0.1:port (read from /proc/net/udp, no datagram sent). */
async function udpBound(port: number): Promise<boolean> {
  const table = await readFile('/proc/net/udp', 'utf8').catch(() => '');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').some((l) => l.trim().split(/\s+/)[1] === local);
}

/**
 * Starts Kamailio with `script` (loadmodule/modparam lines and routes, without `listen`). A missing module
 * named in loadmodule fails the start with Kamailio's own message.
 */
export async function startKamailio(script: string, opts: KamailioOptions = {}): Promise<KamailioServer> {
  const bin = kamailioBin();
  const modules = modulesDir();
  const dir = await mkdtemp(join(tmpdir(), 'tsips-kamailio-'));
  const run = join(dir, 'run');
  await mkdir(run);
  const cfg = join(dir, 'kamailio.cfg');
  let log = '';
  let child: ChildProcess | undefined;
  let port = 0;
  const capture = (p: ChildProcess): void => {
    child = p;
    p.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    p.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  };
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const head = [
      '#!KAMAILIO',
      `debug=${opts.debug ?? 2}`,
      'log_stderror=yes',
      'children=1',
      `listen=udp:127.0.0.1:${port}`,
      'disable_tcp=yes',
      'auto_aliases=no',
      'dns=no',
      'rev_dns=no',
      'use_dns_cache=off',
      'dns_try_ipv6=no',
      ...(opts.core ?? []),
      `mpath="${modules}/"`,
    ];
    await writeFile(cfg, `${head.join('\n')}\n\n${script}\n`);
    log = '';
    try {
      await spawnAndWait(bin, ['-f', cfg, '-DD', '-E', '-m', '64', '-M', '8', '-w', dir, '-Y', run], () => udpBound(port), {
        timeoutMs: 15_000,
        name: `kamailio on udp:127.0.0.1:${port}`,
        logTail: () => Promise.resolve(log.split('\n').slice(-15).join('\n')),
        onSpawn: capture,
      });
      break;
    } catch (err) {
      if (child !== undefined) await terminate(child, 'SIGKILL', 2_000);
      if (attempt >= 3 || !/already in use|bind/i.test(log)) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return {
    port,
    dir,
    log: () => log,
    async stop() {
      if (child !== undefined) await terminate(child, 'SIGTERM', 5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
