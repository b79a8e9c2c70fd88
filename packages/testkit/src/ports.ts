import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Binds TCP 127.0.0.1:`port` (0: any) and returns the port it got, released again; undefined when taken. */
function tcpPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** True when UDP 127.0.0.1:`port` could be bound (and was released again). */
function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.unref();
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/**
 * A port free on 127.0.0.1 right now for both TCP and UDP (a SIP listener, sipp's `-p` and `-cp` use either):
 * the kernel picks a TCP port, we check UDP has it free too, then release both.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tcpPort(0);
    if (port === undefined) throw new Error('freePort: no TCP port assigned');
    if (await udpFree(port)) return port;
  }
  throw new Error('freePort: no port free for both TCP and UDP after 20 tries');
}

/**
 * True when some process has UDP `port` bound, read from /proc/net/udp{,6} (Linux): unlike a test bind, the
 * check cannot take the port away from the process that is about to bind it.
 */
export async function udpPortBound(port: number): Promise<boolean> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    // Each row: "sl local_address rem_address st ..."; the local address is the second column.
    for (const row of text.split('\n').slice(1)) if (row.trim().split(/\s+/)[1]?.endsWith(suffix)) return true;
  }
  return false;
}
