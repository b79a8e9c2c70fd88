/**
 * Sending one datagram to a unix datagram socket (t_write_unix). Node has no AF_UNIX SOCK_DGRAM, so this
 * uses the `unix-dgram` addon, loaded on first use: a machine where it did not build still runs tm, and
 * t_write_unix fails with a clear error there. A full socket buffer ("congestion") is waited out for up to
 * `timeoutMs` (tm's unix_tx_timeout), then the write fails.
 */
import { createRequire } from 'node:module';

interface DgramSocket {
  connect(path: string): void;
  /** Connected form: the callback gets an error, code 1 when the receiver's queue is full. */
  send(buf: Buffer, cb: (err?: Error & { code?: unknown }) => void): void;
  once(event: 'writable' | 'error' | 'connect', cb: (err?: Error) => void): void;
  removeAllListeners(): void;
  close(): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

let mod: UnixDgram | null | undefined;

function load(): UnixDgram {
  if (mod === undefined) {
    try {
      mod = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
    } catch {
      mod = null;
    }
  }
  if (mod === null) throw new Error('t_write_unix needs the unix-dgram addon, which is not built on this machine (pnpm rebuild unix-dgram; needs python3, make, g++)');
  return mod;
}

export function sendUnixDgram(path: string, data: Buffer, timeoutMs: number): Promise<void> {
  const sock = load().createSocket('unix_dgram');
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (err?: Error): void => {
      if (timer !== undefined) clearTimeout(timer);
      sock.removeAllListeners();
      sock.close();
      if (err === undefined) resolve();
      else reject(err);
    };
    sock.once('error', done);
    // Connected, so a full queue is reported as congestion and 'writable' follows when it drains.
    const attempt = (): void => {
      sock.send(data, (err) => {
        if (err === undefined || err === null) return done();
        if (err.code !== 1) return done(err); // 1: the receiver's buffer is full
        timer ??= setTimeout(() => done(new Error(`t_write_unix: ${path} did not take the datagram within ${timeoutMs} ms`)), timeoutMs);
        sock.once('writable', attempt);
      });
    };
    sock.once('connect', attempt);
    sock.connect(path);
  });
}
