import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { TransportLayer } from '../../src/transport/transport-layer.js';
import { parseListen } from '../../src/transport/listen.js';
import type { TransportLimits } from '../../src/transport/types.js';
import { freePort, waitFor } from '@tsips/testkit';
import { RawClient, captureLog, sipRequest } from './helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function make(specs: string[], limits?: Partial<TransportLimits>, tls?: { cert: string; key: string }) {
  const { log } = captureLog();
  const t = new TransportLayer({
    listen: specs.map(parseListen),
    log,
    onMessage: () => undefined,
    ...(limits === undefined ? {} : { limits }),
    ...(tls === undefined ? {} : { tls }),
  });
  cleanup.push(() => t.stop());
  return t;
}

/** A TCP server that accepts and never speaks: a TLS handshake to it hangs. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  const socks: Socket[] = [];
  server.on('connection', (s) => socks.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        socks.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, server };
}

describe('TransportLayer lifecycle', () => {
  it('stop() closes listeners and connections: the same ports bind again', async () => {
    const t = make(['udp:127.0.0.1:0', 'tcp:127.0.0.1:0']);
    const [udp, tcp] = await t.start();
    const c = await RawClient.tcp(tcp!.port);
    await c.write(sipRequest('x'));
    await t.stop();
    await c.waitClosed();
    expect(t.connectionCount()).toBe(0);
    expect(t.sockets).toEqual([]);
    await expect(t.send({ proto: 'udp', address: '127.0.0.1', port: 5060 }, Buffer.from('x'))).rejects.toThrow('E_NOT_STARTED');

    const again = make([`udp:127.0.0.1:${udp!.port}`, `tcp:127.0.0.1:${tcp!.port}`]);
    const bound = await again.start();
    expect(bound.map((s) => s.port)).toEqual([udp!.port, tcp!.port]);
  });

  it('stop() reports every open connection closed, once, without error; UDP sends resolve to no connection', async () => {
    const { log } = captureLog();
    const closed: { id: number; error: boolean }[] = [];
    const t = new TransportLayer({
      listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'].map(parseListen),
      log,
      onMessage: () => undefined,
      onConnectionClose: (c) => closed.push({ id: c.id, error: c.error }),
    });
    cleanup.push(() => t.stop());
    const [udp, tcp] = await t.start();
    expect(await t.send({ proto: 'udp', address: '127.0.0.1', port: udp!.port }, Buffer.from('x'))).toBeUndefined();
    const c1 = await RawClient.tcp(tcp!.port);
    const c2 = await RawClient.tcp(tcp!.port);
    await c1.write(sipRequest('a'));
    await c2.write(sipRequest('b'));
    await waitFor(() => t.connectionCount() >= 2);
    await t.stop();
    await c1.waitClosed();
    await c2.waitClosed();
    expect(closed.map((c) => c.error)).toEqual([false, false]);
    expect(new Set(closed.map((c) => c.id)).size).toBe(2);
  });

  it('a layer starts once; stop() is idempotent', async () => {
    const t = make(['udp:127.0.0.1:0']);
    await t.start();
    await expect(t.start()).rejects.toThrow('E_STATE: start() called in state running; a stopped layer is not restarted');
    await t.stop();
    await t.stop();
    await expect(t.start()).rejects.toThrow('E_STATE: start() called in state stopped');
  });

  it('a process that started and stopped the layer exits by itself (no handles left)', async () => {
    const script = fileURLToPath(new URL('./fixtures/stop-exits.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 15_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(out).toBe('stopped after 4 messages\n');
  });

  it('a failed start releases what it had bound and names the socket', async () => {
    const taken = createSocket('udp4');
    taken.bind(0, '127.0.0.1');
    await once(taken, 'listening');
    cleanup.push(() => new Promise<void>((r) => taken.close(() => r())));
    const tcpPort = await freePort();
    const t = make([`tcp:127.0.0.1:${tcpPort}`, `udp:127.0.0.1:${taken.address().port}`]);
    await expect(t.start()).rejects.toThrow(`E_LISTEN: cannot bind udp:127.0.0.1:${taken.address().port}: bind EADDRINUSE`);
    // The TCP port bound before the failure is free again.
    const probe = createServer();
    probe.listen(tcpPort, '127.0.0.1');
    await once(probe, 'listening');
    await new Promise<void>((r) => probe.close(() => r()));
  });

  it('a connect that does not complete times out with E_CONNECT_TIMEOUT', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    const t = make(['tls:127.0.0.1:0'], { connectTimeoutMs: 200 }, { cert: pems.cert, key: pems.private });
    await t.start();
    const silent = await silentServer();
    const t0 = Date.now();
    await expect(t.send({ proto: 'tls', address: '127.0.0.1', port: silent.port }, sipRequest('x'))).rejects.toThrow(
      `E_CONNECT_TIMEOUT: no connection to 127.0.0.1:${silent.port} (tls) after 200 ms`,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(t.connectionCount()).toBe(0);
  });

  it('stop() aborts a connect in progress', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    const t = make(['tls:127.0.0.1:0'], undefined, { cert: pems.cert, key: pems.private });
    await t.start();
    const silent = await silentServer();
    const sending = t.send({ proto: 'tls', address: '127.0.0.1', port: silent.port }, sipRequest('x'));
    sending.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await t.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(sending).rejects.toThrow('E_CONNECT: cannot connect to');
  });
});
