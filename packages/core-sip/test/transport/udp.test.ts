import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { TransportLayer } from '../../src/transport/transport-layer.js';
import { DEFAULT_UDP_BUFFER_SIZE, UdpEndpoint } from '../../src/transport/udp.js';
import { parseListen } from '../../src/transport/listen.js';
import type { MessageHandler } from '../../src/transport/types.js';
import { waitFor } from '@tsips/testkit';
import { Inbox, captureLog, sipRequest } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function layer(onMessage: MessageHandler, maxMessageSize?: number) {
  const { log, lines } = captureLog();
  const t = new TransportLayer({
    listen: [parseListen('udp:127.0.0.1:0')],
    log,
    onMessage,
    ...(maxMessageSize === undefined ? {} : { limits: { maxMessageSize } }),
  });
  await t.start();
  cleanup.push(() => t.stop());
  return { t, lines, socket: t.sockets[0]! };
}

async function peer(): Promise<{ sock: Socket; port: number; inbox: Buffer[] }> {
  const sock = createSocket('udp4');
  const inbox: Buffer[] = [];
  sock.on('message', (m) => inbox.push(m));
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  cleanup.push(() => new Promise((r) => sock.close(() => r())));
  return { sock, port: sock.address().port, inbox };
}

describe('UDP transport', () => {
  it('binds a free port and names the socket as OpenSIPS does', async () => {
    const { socket } = await layer(() => undefined);
    expect(socket.port).toBeGreaterThan(0);
    expect(socket).toMatchObject({ proto: 'udp', address: '127.0.0.1', family: 4, advertisedAddress: '127.0.0.1' });
    expect(socket.name).toBe(`udp:127.0.0.1:${socket.port}`);
    expect(socket.advertisedPort).toBe(socket.port);
  });

  it('delivers a datagram with the right receive info', async () => {
    const inbox = new Inbox();
    const { socket } = await layer(inbox.handler);
    const p = await peer();
    const msg = sipRequest('u1');
    p.sock.send(msg, socket.port, '127.0.0.1');
    const got = await inbox.next();
    expect(got.data.equals(msg)).toBe(true);
    expect(got.rinfo).toEqual({ proto: 'udp', srcAddress: '127.0.0.1', srcPort: p.port, socket });
  });

  it('sends to a peer from the listen socket', async () => {
    const { t, socket } = await layer(() => undefined);
    const p = await peer();
    await t.send({ proto: 'udp', address: '127.0.0.1', port: p.port }, Buffer.from('SIP/2.0 200 OK\r\n\r\n'));
    await waitFor(() => p.inbox.length > 0, 2000);
    expect(p.inbox.map((b) => b.toString())).toEqual(['SIP/2.0 200 OK\r\n\r\n']);
    // The reply comes from the listen socket, so NAT bindings and rport work.
    const from = await new Promise<number>((resolve) => {
      p.sock.once('message', (_m, r) => resolve(r.port));
      void t.send({ proto: 'udp', address: '127.0.0.1', port: p.port, socket }, Buffer.from('x'));
    });
    expect(from).toBe(socket.port);
  });

  it('post() sends at once from the listen socket, a hostname through send(), and logs a refusal instead of throwing', async () => {
    const { t, socket, lines } = await layer(() => undefined);
    const p = await peer();
    const from = new Promise<number>((resolve) => p.sock.once('message', (_m, r) => resolve(r.port)));
    t.post({ proto: 'udp', address: '127.0.0.1', port: p.port, socket }, Buffer.from('one'));
    expect(await from).toBe(socket.port);
    t.post({ proto: 'udp', address: 'localhost', port: p.port }, Buffer.from('two'));
    await waitFor(() => p.inbox.length >= 2, 2000);
    expect(p.inbox.map((b) => b.toString())).toEqual(['one', 'two']);
    // No IPv6 socket: nothing to send from, and nothing thrown or rejected unhandled.
    expect(() => t.post({ proto: 'udp', address: '::1', port: 5060 }, Buffer.from('x'))).not.toThrow();
    await new Promise((r) => setTimeout(r, 20));
    expect(lines.some((l) => l.msg === 'send failed' && JSON.stringify(l).includes('E_NO_SOCKET'))).toBe(true);
  });

  it('sends to a hostname after resolving it', async () => {
    const { t } = await layer(() => undefined);
    const p = await peer();
    await t.send({ proto: 'udp', address: 'localhost', port: p.port, socket: t.sockets[0] }, Buffer.from('ping'));
    await waitFor(() => p.inbox.length > 0, 2000);
    expect(p.inbox.map((b) => b.toString())).toEqual(['ping']);
  });

  it('rejects a send with no socket of the family', async () => {
    const { t } = await layer(() => undefined);
    await expect(t.send({ proto: 'udp', address: '::1', port: 5060 }, Buffer.from('x'))).rejects.toThrow('E_NO_SOCKET: no udp socket (IPv6) to reach [::1]:5060');
    await expect(t.send({ proto: 'tcp', address: '127.0.0.1', port: 5060 }, Buffer.from('x'))).rejects.toThrow(
      'E_NO_SOCKET: no tcp listen socket for IPv4 to reach 127.0.0.1:5060',
    );
  });

  it('drops and logs an oversize datagram, then keeps receiving', async () => {
    const inbox = new Inbox();
    const { socket, lines } = await layer(inbox.handler, 200);
    const p = await peer();
    p.sock.send(sipRequest('big', 'x'.repeat(400)), socket.port, '127.0.0.1');
    p.sock.send(sipRequest('small'), socket.port, '127.0.0.1');
    const got = await inbox.next();
    expect(got.data.toString()).toContain('Call-ID: small');
    expect(inbox.items).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'oversize datagram dropped')).toMatchObject({ max: 200 });
  });

  it('a handler that throws or rejects is logged and does not stop the receive loop', async () => {
    const inbox = new Inbox();
    let n = 0;
    const { socket, lines } = await layer((data, rinfo) => {
      n++;
      if (n === 1) throw new Error('handler bug');
      if (n === 2) return Promise.reject(new Error('async handler bug')) as unknown as void;
      inbox.handler(data, rinfo);
    });
    const p = await peer();
    for (const id of ['a', 'b', 'c']) {
      p.sock.send(sipRequest(id), socket.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    const got = await inbox.next();
    expect(got.data.toString()).toContain('Call-ID: c');
    await new Promise((r) => setTimeout(r, 20));
    const errors = lines.filter((l) => l.msg === 'message handler failed');
    expect(errors.map((l) => (l.err as { message: string }).message)).toEqual(['handler bug', 'async handler bug']);
  });

  it('asks the kernel for larger socket buffers (4 MiB by default, capped by rmem_max/wmem_max) and logs what it got', async () => {
    const kernelMax = (f: string): number => Number(readFileSync(`/proc/sys/net/core/${f}`, 'utf8'));
    const open = async (size?: number) => {
      const { log, lines } = captureLog();
      const ep = await UdpEndpoint.open(parseListen('udp:127.0.0.1:0'), '127.0.0.1', 4, 65535, log, () => undefined, size);
      cleanup.push(() => ep.close());
      return { ep, lines };
    };
    // Linux reports twice what it accepted: between the size granted and double it.
    const { ep, lines } = await open();
    const got = ep.bufferSizes();
    const recvWant = Math.min(DEFAULT_UDP_BUFFER_SIZE, kernelMax('rmem_max'));
    const sendWant = Math.min(DEFAULT_UDP_BUFFER_SIZE, kernelMax('wmem_max'));
    expect(got.recv).toBeGreaterThanOrEqual(recvWant);
    expect(got.send).toBeGreaterThanOrEqual(sendWant);
    expect(lines.find((l) => l.msg === 'udp socket buffers')).toMatchObject({ requested: DEFAULT_UDP_BUFFER_SIZE, recv: got.recv, send: got.send });
    // A small size is applied too (the kernel default receive buffer is ~208 KB, so this is not the default).
    const small = (await open(64 * 1024)).ep.bufferSizes();
    expect(small.recv).toBeGreaterThanOrEqual(64 * 1024);
    expect(small.recv).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it('takes the buffer size from the transport limits (udpBufferSize)', async () => {
    const { log, lines } = captureLog();
    const layer = new TransportLayer({ listen: [parseListen('udp:127.0.0.1:0')], log, limits: { udpBufferSize: 96 * 1024 }, onMessage: () => undefined });
    await layer.start();
    cleanup.push(() => layer.stop());
    expect(lines.find((l) => l.msg === 'udp socket buffers')).toMatchObject({ requested: 96 * 1024 });
  });

  it('caps host name lookups in flight: the ones over maxPendingResolves fail at once with E_RESOLVE_BUSY', async () => {
    const { log } = captureLog();
    const t = new TransportLayer({ listen: [parseListen('udp:127.0.0.1:0')], log, limits: { maxPendingResolves: 8 }, onMessage: () => undefined });
    await t.start();
    cleanup.push(() => t.stop());
    // 70-character labels: the resolver refuses them locally, no DNS query leaves the machine.
    const name = (i: number) => `${'x'.repeat(70)}.n${i}.invalid`;
    const codes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.send({ proto: 'udp', address: name(i), port: 5060 }, Buffer.from('x')).then(
          () => 'sent',
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(codes.filter((c) => c === 'E_RESOLVE_BUSY')).toHaveLength(92);
    expect(codes.filter((c) => c === 'E_RESOLVE')).toHaveLength(8);
    // Once they are over, lookups are free again.
    await expect(t.send({ proto: 'udp', address: name(100), port: 5060 }, Buffer.from('x'))).rejects.toMatchObject({ code: 'E_RESOLVE' });
  });
});
