import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnAndWait } from './process.js';
import { lifecycle, type ServerHandle } from './server.js';

// Read per start, so a test can point it elsewhere (the missing-binary test does).
const redisServer = (): string => process.env['TSIPS_REDIS_SERVER'] ?? 'redis-server';

export interface RedisServer extends ServerHandle {
  /** `redis://127.0.0.1:<port>/0`. */
  readonly url: string;
}

/** True when a PING on a fresh connection gets +PONG (the server is up and not loading). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (b: Buffer) => {
      buf += b.toString();
      // -NOAUTH also proves the server is up and serving.
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
  });
}

export interface RedisStartOptions {
  /** Require this password (`requirepass`); the URL then carries it as `redis://:<password>@…`. */
  password?: string;
}

/** Starts a throwaway redis-server on 127.0.0.1 and a free port, without persistence. */
export async function startRedis(opts: RedisStartOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tsips-redis-'));
  const logFile = join(dir, 'redis.log');
  let port = 0;
  let child: ChildProcess | undefined;

  const args = (): string[] => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    logFile,
    '--daemonize',
    'no',
    ...(opts.password !== undefined ? ['--requirepass', opts.password] : []),
  ];
  const logTail = async (): Promise<string> => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');

  const up = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    await spawnAndWait(redisServer(), args(), () => pings(port), { timeoutMs: 15_000, name: `redis-server on 127.0.0.1:${port}`, logTail, onSpawn: (p) => (child = p) });
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await up();
      break;
    } catch (err) {
      if (attempt >= 3 || !/already in use/i.test(await logTail())) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    url: `redis://${opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}/0`,
    port,
    dir,
    ...lifecycle(() => child, up, dir, 10_000),
  };
}

/** One command on a fresh connection, RESP-encoded; the reply as text (simple, integer or bulk string). */
function command(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    sock.setTimeout(3000, () => {
      sock.destroy();
      reject(new Error(`redis ${args.join(' ')}: no reply`));
    });
    sock.once('error', reject);
    sock.once('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      const head = buf.indexOf('\r\n');
      if (head < 0) return;
      const kind = String.fromCharCode(buf[0]!);
      let text: string | undefined;
      if (kind === '$') {
        const len = Number(buf.subarray(1, head).toString());
        if (len < 0) text = '';
        else if (buf.length >= head + 2 + len + 2) text = buf.subarray(head + 2, head + 2 + len).toString();
      } else if (kind === '-') {
        sock.destroy();
        reject(new Error(`redis ${args[0]}: ${buf.subarray(1, head).toString()}`));
        return;
      } else text = buf.subarray(1, head).toString();
      if (text === undefined) return;
      sock.destroy();
      resolve(text);
    });
  });
}

/**
 * Drops the connection of the client named `name` (CLIENT SETNAME / ioredis connectionName), as a network
 * cut of that one client would; false when no such client is connected.
 */
export async function killRedisClient(port: number, name: string): Promise<boolean> {
  const list = await command(port, ['CLIENT', 'LIST']);
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  const id = line === undefined ? undefined : /(?:^|\s)id=(\d+)/.exec(line)?.[1];
  if (id === undefined) return false;
  return (await command(port, ['CLIENT', 'KILL', 'ID', id])) === '1';
}
