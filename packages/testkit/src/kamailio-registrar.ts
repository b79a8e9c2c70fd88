/**
 * A real SIP registrar for tests: Kamailio (registrar + usrloc, no DB) on a free loopback UDP port, with a
 * config written here. With `auth`, every REGISTER must carry digest credentials whose password is the
 * auth user + `-secret` (pv_auth_check with a computed password, so no subscriber table).
 *
 * `OPTIONS sip:<user>@…` is a query the tests use: 200 with `X-Contacts: <count>` and one `X-Contact:` per
 * binding the registrar holds for that AOR (usrloc as Kamailio sees it, not as the registrant thinks it is).
 * `OPTIONS` without a user is the readiness probe.
 */
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnAndWait } from './process.js';
import { lifecycle, type ServerHandle } from './server.js';

const kamailioBin = (): string => process.env['TSIPS_KAMAILIO'] ?? '/usr/sbin/kamailio';
const modulesDir = (): string => process.env['TSIPS_KAMAILIO_MODULES'] ?? '/usr/lib/x86_64-linux-gnu/kamailio/modules';

export interface KamailioRegistrarOptions {
  /** Challenge every REGISTER (401) and check the password `<auth user>-secret`. Default true. */
  auth?: boolean;
  /** Realm of the challenges. Default `tsips.test`. */
  realm?: string;
  /** registrar `max_expires`: a longer requested expiry is granted this. Default 3600. */
  maxExpires?: number;
  /** registrar `min_expires`: a shorter one is answered 423 with this Min-Expires. Default 0 (off). */
  minExpires?: number;
  /** registrar `default_expires`. Default 3600. */
  defaultExpires?: number;
  /** Kamailio worker processes. Default 2. */
  children?: number;
  /** A fixed port (e.g. to come back on the same one); a free one by default. */
  port?: number;
}

export interface KamailioRegistrar extends ServerHandle {
  /** `sip:127.0.0.1:<port>`. */
  readonly uri: string;
  /** The bindings Kamailio holds for `user` (Contact URIs as registered), asked with the OPTIONS query. */
  contacts(user: string): Promise<string[]>;
  /** Main and worker pids (for CPU readings). */
  pids(): number[];
}

/** The password the registrar expects for `user`. */
export const kamailioPassword = (user: string): string => `${user}-secret`;

function config(port: number, o: Required<Omit<KamailioRegistrarOptions, 'port'>>): string {
  const auth = o.auth
    ? `
  $var(pw) = $au + "-secret";
  if (!pv_auth_check("$td", "$var(pw)", "0", "0")) {
    auth_challenge("${o.realm}", "0");
    exit;
  }
  consume_credentials();`
    : '';
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=${o.children}
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${port}
mpath="${modulesDir()}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", ${o.maxExpires})
modparam("registrar", "min_expires", ${o.minExpires})
modparam("registrar", "default_expires", ${o.defaultExpires})
modparam("registrar", "max_contacts", 0)

request_route {
  if (is_method("OPTIONS")) {
    if ($rU == $null) { sl_send_reply("200", "Ready"); exit; }
    if (reg_fetch_contacts("location", "sip:$rU@$td", "q")) {
      append_to_reply("X-Contacts: $(ulc(q=>count))\\r\\n");
      $var(i) = 0;
      while ($var(i) < $(ulc(q=>count))) {
        append_to_reply("X-Contact: $(ulc(q=>addr)[$var(i)])\\r\\n");
        $var(i) = $var(i) + 1;
      }
    } else {
      append_to_reply("X-Contacts: 0\\r\\n");
    }
    sl_send_reply("200", "Query");
    exit;
  }
  if (!is_method("REGISTER")) { sl_send_reply("405", "Method Not Allowed"); exit; }${auth}
  if (!save("location")) sl_reply_error();
}
`;
}

/** Sends one OPTIONS and returns the reply text, or undefined when nothing comes back within `ms`. */
function options(port: number, ruri: string, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), ms);
    sock.on('message', (b) => done(b.toString('latin1')));
    sock.bind(0, '127.0.0.1', () => {
      const me = sock.address().port;
      const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const msg = [
        `OPTIONS ${ruri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKkq${id};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=${id}`,
        `To: <${ruri}>`,
        `Call-ID: kq-${id}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(msg, port, '127.0.0.1');
    });
  });
}

/** Starts Kamailio as a registrar on 127.0.0.1 (see the file comment); `stop()` it after the test file. */
export async function startKamailioRegistrar(opts: KamailioRegistrarOptions = {}): Promise<KamailioRegistrar> {
  const o = {
    auth: opts.auth ?? true,
    realm: opts.realm ?? 'tsips.test',
    maxExpires: opts.maxExpires ?? 3600,
    minExpires: opts.minExpires ?? 0,
    defaultExpires: opts.defaultExpires ?? 3600,
    children: opts.children ?? 2,
  };
  const dir = await mkdtemp(join(tmpdir(), 'tsips-kamailio-'));
  const port = opts.port ?? (await freePort());
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, config(port, o));
  let child: ChildProcess | undefined;
  let log = '';
  const up = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    log = '';
    await spawnAndWait(
      kamailioBin(),
      ['-f', cfg, '-DD', '-E', '-m', '64', '-M', '8', '-w', dir, '-Y', dir],
      async () => (await options(port, `sip:127.0.0.1:${port}`, 300)) !== undefined,
      {
        timeoutMs: 15_000,
        name: `kamailio on 127.0.0.1:${port}`,
        logTail: () => Promise.resolve(log.split('\n').slice(-15).join('\n')),
        onSpawn: (p) => {
          child = p;
          p.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-20_000)));
          p.stdout?.on('data', () => undefined);
        },
      },
    );
  };
  // Kamailio's workers outlive a SIGKILL of the main process (they are reparented to init): whenever the main
  // one is killed, by kill() or by the testkit's exit hook, the workers seen last are killed as well.
  let workers: number[] = [];
  const killWorkers = (): void => {
    for (const w of workers) {
      try {
        process.kill(w, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    workers = [];
  };
  process.once('exit', killWorkers);
  const life = lifecycle(() => child, up, dir, 10_000);
  try {
    await up();
    const main = child?.pid;
    if (main !== undefined) workers = childPids(main);
  } catch (err) {
    killWorkers();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `sip:127.0.0.1:${port}`,
    uri: `sip:127.0.0.1:${port}`,
    port,
    dir,
    ...life,
    async up() {
      await life.up();
      const main = child?.pid;
      if (main !== undefined) workers = childPids(main);
    },
    async kill() {
      await life.kill();
      killWorkers();
    },
    async stop() {
      await life.stop();
      killWorkers();
      process.off('exit', killWorkers);
    },
    async contacts(user: string): Promise<string[]> {
      const r = await options(port, `sip:${user}@127.0.0.1:${port}`, 2000);
      if (r === undefined) throw new Error(`kamailio on ${port}: no answer to the contacts query for ${user}`);
      return [...r.matchAll(/^X-Contact:\s*(.*)$/gim)].map((m) => (m[1] ?? '').trim());
    },
    pids(): number[] {
      const main = child?.pid;
      if (main === undefined) return [];
      return [main, ...childPids(main)];
    },
  };
}

/** Children of `pid` from /proc (Kamailio forks its workers); empty once it is gone. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process exited between the listing and the read
  }
  return out;
}
