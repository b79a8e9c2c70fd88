import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './ports.js';
import { run, spawnAndWait } from './process.js';
import { lifecycle, type ServerHandle } from './server.js';

// Read per start, so a test can point them elsewhere (the missing-binary test does).
const mariadbd = (): string => process.env['TSIPS_MARIADBD'] ?? '/usr/sbin/mariadbd';
const installDb = (): string => process.env['TSIPS_MARIADB_INSTALL_DB'] ?? '/usr/bin/mariadb-install-db';

export interface MariaDbServer extends ServerHandle {
  /** `mysql://root@127.0.0.1:<port>/tsips_test` (root has no password on this throwaway server). */
  readonly url: string;
  /** Same database through the unprivileged user `tsips` / password `tsips`. */
  readonly userUrl: string;
  readonly database: string;
}

// Small InnoDB and no binlog: the server starts in about a second and uses a few tens of MB.
// flush_log_at_trx_commit=2 keeps every commit across a mariadbd crash (it only risks an OS crash).
// mariadbd refuses to run as root without --user=root; as another user the option must be left out.
const AS_USER = process.getuid?.() === 0 ? ['--user=root'] : [];

const SERVER_TUNING = [
  '--skip-log-bin',
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--skip-name-resolve',
  '--performance-schema=0',
];

/**
 * Starts a throwaway MariaDB on 127.0.0.1 and a free port, its data in a temporary directory,
 * with a database `tsips_test` and a user `tsips`/`tsips` that owns it.
 */
export async function startMariaDb(database = 'tsips_test'): Promise<MariaDbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tsips-mariadb-'));
  const dataDir = join(dir, 'data');
  const errLog = join(dir, 'error.log');
  // --no-defaults: the host's /etc/mysql config must not leak into the test server. --tmpdir: the
  // bootstrap's temporary tables must not collide in /tmp with another bootstrap running in parallel.
  await run(installDb(), [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--tmpdir=${dir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...AS_USER,
    ...SERVER_TUNING,
  ]).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });

  let port = 0;
  let child: ChildProcess | undefined;

  const args = (): string[] => [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--log-error=${errLog}`,
    `--tmpdir=${dir}`,
    '--skip-networking=0',
    ...AS_USER,
    ...SERVER_TUNING,
  ];

  const logTail = async (): Promise<string> => {
    const text = await readFile(errLog, 'utf8').catch(() => '');
    return text.split('\n').slice(-15).join('\n');
  };

  const accepts = async (): Promise<boolean> => {
    try {
      const c = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await c.end();
      return true;
    } catch {
      return false;
    }
  };

  const up = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    await spawnAndWait(mariadbd(), args(), () => accepts(), { timeoutMs: 30_000, name: `mariadbd on 127.0.0.1:${port}`, logTail, onSpawn: (p) => (child = p) });
  };

  // The port was free when chosen but another process may take it first: retry with a new one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await up();
      break;
    } catch (err) {
      const log = await logTail();
      if (attempt >= 3 || !/already in use|another server running/i.test(log)) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const admin = await createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await admin.query(`CREATE USER IF NOT EXISTS 'tsips'@'%' IDENTIFIED BY 'tsips'`);
    await admin.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO 'tsips'@'%'`);
  } finally {
    await admin.end();
  }

  const handle: MariaDbServer = {
    url: `mysql://root@127.0.0.1:${port}/${database}`,
    userUrl: `mysql://tsips:tsips@127.0.0.1:${port}/${database}`,
    database,
    port,
    dir,
    ...lifecycle(() => child, up, dir, 20_000),
  };
  return handle;
}
