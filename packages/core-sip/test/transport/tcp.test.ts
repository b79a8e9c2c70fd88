import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { TransportLayer } from '../../src/transport/transport-layer.js';
import { parseListen } from '../../src/transport/listen.js';
import type { ConnectionClosed, TransportLimits } from '../../src/transport/types.js';
import { Inbox, RawClient, captureLog, sipRequest, sleep } from './helpers.js';
import { freePort, waitFor } from '@tsips/testkit';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function layer(limits?: Partial<TransportLimits>) {
  const inbox = new Inbox();
  const { log, lines } = captureLog();
  const closed: ConnectionClosed[] = [];
  const t = new TransportLayer({
    listen: [parseListen('tcp:127.0.0.1:0')],
    log,
    onMessage: inbox.handler,
    onConnectionClose: (c) => {
      // The report comes after the connection left the table.
      expect(t.connectionCount()).toBe(0);
      closed.push(c);
    },
    ...(limits === undefined ? {} : { limits }),
  });
  await t.start();
  cleanup.push(() => t.stop());
  return { t, inbox, lines, closed, port: t.sockets[0]!.port };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.tcp(port);
  cleanup.push(() => c.close());
  return c;
}

describe('TCP transport', () => {
  it('splits two messages sent in one write', async () => {
    const { inbox, port, t } = await layer();
    const c = await client(port);
    const a = sipRequest('a', 'first body');
    const b = sipRequest('b', 'second');
    await c.write(Buffer.concat([a, b]));
    const m1 = await inbox.next();
    const m2 = await inbox.next();
    expect(m1.data.equals(a)).toBe(true);
    expect(m2.data.equals(b)).toBe(true);
    expect(m1.rinfo).toMatchObject({ proto: 'tcp', srcAddress: '127.0.0.1', srcPort: c.sock.localPort, socket: t.sockets[0] });
    expect(m1.rinfo.connId).toBeTypeOf('number');
    expect(m2.rinfo.connId).toBe(m1.rinfo.connId);
    expect(t.connectionCount()).toBe(1);
  });

  it('reassembles one message written byte by byte', async () => {
    const { inbox, port } = await layer();
    const c = await client(port);
    const a = sipRequest('slow', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    for (const byte of a) {
      c.sock.write(Buffer.from([byte]));
      // Let Nagle-less writes arrive as separate reads most of the time.
      if (byte === 0x0a) await sleep(1);
    }
    const m = await inbox.next();
    expect(m.data.equals(a)).toBe(true);
    await inbox.none(50);
  });

  it('frames bodies by Content-Length and compact l:', async () => {
    const { inbox, port } = await layer();
    const c = await client(port);
    const a = sipRequest('long', 'abc\r\n\r\ndef');
    const b = sipRequest('compact', 'xyz', true);
    await c.write(Buffer.concat([a, b.subarray(0, 30)]));
    const m1 = await inbox.next();
    expect(m1.data.toString('latin1').endsWith('abc\r\n\r\ndef')).toBe(true);
    await c.write(b.subarray(30));
    const m2 = await inbox.next();
    expect(m2.data.equals(b)).toBe(true);
  });

  it('answers a CRLFCRLF keep-alive with CRLF', async () => {
    const { inbox, port } = await layer();
    const c = await client(port);
    await c.write('\r\n\r\n');
    expect(await c.waitFor((s) => s.length >= 2)).toBe('\r\n');
    await inbox.none(50);
  });

  it('replies over the connection the request came on (connId)', async () => {
    const { inbox, port, t } = await layer();
    const c = await client(port);
    await c.write(sipRequest('r1'));
    const m = await inbox.next();
    const reply = 'SIP/2.0 200 OK\r\nCall-ID: r1\r\nContent-Length: 0\r\n\r\n';
    // The address/port are the peer's; connId selects the open connection.
    await t.send({ proto: 'tcp', address: m.rinfo.srcAddress, port: 5060, connId: m.rinfo.connId! }, Buffer.from(reply));
    expect(await c.waitFor((s) => s.includes('\r\n\r\n'))).toBe(reply);
    // Found by the peer's address:port too, with no connId.
    await t.send({ proto: 'tcp', address: '127.0.0.1', port: m.rinfo.srcPort }, Buffer.from(reply));
    await c.waitFor((s) => s === reply + reply);
    expect(t.connectionCount()).toBe(1);
  });

  it('opens a connection to a new target and receives the answer on it', async () => {
    const a = await layer();
    const peer = createServer();
    const peerSockets: Socket[] = [];
    peer.on('connection', (s) => {
      peerSockets.push(s);
      s.on('data', () => s.write('SIP/2.0 200 OK\r\nCall-ID: out\r\nContent-Length: 2\r\n\r\nok'));
    });
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    cleanup.push(() => new Promise<void>((r) => peer.close(() => r())));
    cleanup.push(() => peerSockets.forEach((s) => s.destroy()));
    const peerPort = (peer.address() as { port: number }).port;

    // Two concurrent sends share one connect.
    await Promise.all([
      a.t.send({ proto: 'tcp', address: '127.0.0.1', port: peerPort }, sipRequest('out')),
      a.t.send({ proto: 'tcp', address: '127.0.0.1', port: peerPort }, sipRequest('out2')),
    ]);
    const m = await a.inbox.next();
    expect(m.data.toString()).toBe('SIP/2.0 200 OK\r\nCall-ID: out\r\nContent-Length: 2\r\n\r\nok');
    expect(m.rinfo).toMatchObject({ proto: 'tcp', srcAddress: '127.0.0.1', srcPort: peerPort, socket: a.t.sockets[0] });
    expect(peerSockets).toHaveLength(1);
    // The outgoing connection is bound to the listen address.
    expect(peerSockets[0]!.remoteAddress).toBe('127.0.0.1');
    expect(a.t.connectionCount()).toBe(1);
  });

  it('send() to a second layer: requests and replies flow both ways on one connection', async () => {
    const a = await layer();
    const b = await layer();
    await a.t.send({ proto: 'tcp', address: '127.0.0.1', port: b.port }, sipRequest('ab'));
    const atB = await b.inbox.next();
    expect(atB.data.toString()).toContain('Call-ID: ab');
    await b.t.send(
      { proto: 'tcp', address: atB.rinfo.srcAddress, port: atB.rinfo.srcPort, connId: atB.rinfo.connId! },
      Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
    );
    const atA = await a.inbox.next();
    expect(atA.data.toString()).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(atA.rinfo.srcPort).toBe(b.port);
    expect(a.t.connectionCount()).toBe(1);
    expect(b.t.connectionCount()).toBe(1);
  });

  it('rejects when the connection is refused', async () => {
    const { t } = await layer();
    const closedPort = await freePort();
    await expect(t.send({ proto: 'tcp', address: '127.0.0.1', port: closedPort }, sipRequest('x'))).rejects.toThrow(
      /^E_CONNECT: cannot connect to 127\.0\.0\.1:\d+ \(tcp\): connect ECONNREFUSED/,
    );
    expect(t.connectionCount()).toBe(0);
  });

  it('closes the connection on an over-limit message', async () => {
    const { inbox, port, lines, t } = await layer({ maxMessageSize: 300 });
    const c = await client(port);
    const big = sipRequest('big', 'x'.repeat(500));
    await c.write(big);
    await c.waitClosed();
    await inbox.none(50);
    expect(lines.find((l) => l.msg === 'closing connection: stream cannot be resynchronised')).toMatchObject({
      reason: `message of ${big.length} bytes exceeds 300`,
    });
    await sleep(20);
    expect(t.connectionCount()).toBe(0);
  });

  it('closes the connection on a garbage Content-Length', async () => {
    const { inbox, port } = await layer();
    const c = await client(port);
    await c.write('OPTIONS sip:a SIP/2.0\r\nContent-Length: lots\r\n\r\n');
    await c.waitClosed();
    await inbox.none(50);
  });

  it('closes idle connections after connectionLifetimeMs, active ones stay', async () => {
    const { inbox, port, t } = await layer({ connectionLifetimeMs: 400 });
    const idle = await client(port);
    const busy = await client(port);
    for (let i = 0; i < 8; i++) {
      await busy.write(sipRequest(`busy${i}`));
      await inbox.next();
      await sleep(100);
    }
    // 800 ms have passed: the idle one is gone, the busy one is still open.
    expect(idle.closed).toBe(true);
    expect(busy.closed).toBe(false);
    await busy.waitClosed(2000);
    expect(t.connectionCount()).toBe(0);
  });

  it('send() resolves to the id of the connection used: the one replies come back on', async () => {
    const a = await layer();
    const b = await layer();
    const id = await a.t.send({ proto: 'tcp', address: '127.0.0.1', port: b.port }, sipRequest('id1'));
    expect(id).toBeTypeOf('number');
    const atB = await b.inbox.next();
    // Reused by address and by connId: the same id.
    expect(await a.t.send({ proto: 'tcp', address: '127.0.0.1', port: b.port }, sipRequest('id2'))).toBe(id);
    expect(await a.t.send({ proto: 'tcp', address: '127.0.0.1', port: 1, connId: id! }, sipRequest('id3'))).toBe(id);
    const back = await b.t.send(
      { proto: 'tcp', address: atB.rinfo.srcAddress, port: atB.rinfo.srcPort, connId: atB.rinfo.connId! },
      Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(back).toBe(atB.rinfo.connId);
    expect((await a.inbox.next()).rinfo.connId).toBe(id);
  });

  it('reports a connection the peer closed in order: once, error false, with its id and peer', async () => {
    const { inbox, port, closed } = await layer();
    const c = await client(port);
    await c.write(sipRequest('fin'));
    const m = await inbox.next();
    const local = c.sock.localPort;
    c.sock.end();
    await waitFor(() => closed.length > 0);
    await sleep(30);
    expect(closed).toEqual([{ id: m.rinfo.connId, proto: 'tcp', remoteAddress: '127.0.0.1', remotePort: local, outgoing: false, error: false }]);
  });

  it('reports a reset by the peer as an error, on a connection we opened', async () => {
    const a = await layer();
    const peer = createServer();
    const peerSockets: Socket[] = [];
    peer.on('connection', (s) => peerSockets.push(s));
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    cleanup.push(() => new Promise<void>((r) => peer.close(() => r())));
    const peerPort = (peer.address() as { port: number }).port;
    const id = await a.t.send({ proto: 'tcp', address: '127.0.0.1', port: peerPort }, sipRequest('rst'));
    await waitFor(() => peerSockets.length === 1);
    peerSockets[0]!.resetAndDestroy();
    await waitFor(() => a.closed.length > 0);
    expect(a.closed).toEqual([{ id, proto: 'tcp', remoteAddress: '127.0.0.1', remotePort: peerPort, outgoing: true, error: true }]);
  });

  it('reports a stream closed because it could not be framed as an error', async () => {
    const { port, closed } = await layer();
    const c = await client(port);
    await c.write('OPTIONS sip:a SIP/2.0\r\nContent-Length: lots\r\n\r\n');
    await c.waitClosed();
    await waitFor(() => closed.length > 0);
    expect(closed[0]).toMatchObject({ proto: 'tcp', outgoing: false, error: true });
  });

  it('reports an idle timeout as a close without error', async () => {
    const { port, closed } = await layer({ connectionLifetimeMs: 100 });
    const c = await client(port);
    const local = c.sock.localPort;
    await c.waitClosed(2000);
    await waitFor(() => closed.length > 0);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ remotePort: local, error: false });
  });

  it('a close handler that throws is logged; the layer goes on', async () => {
    const inbox = new Inbox();
    const { log, lines } = captureLog();
    const t = new TransportLayer({
      listen: [parseListen('tcp:127.0.0.1:0')],
      log,
      onMessage: inbox.handler,
      onConnectionClose: () => {
        throw new Error('boom');
      },
    });
    await t.start();
    cleanup.push(() => t.stop());
    const c1 = await client(t.sockets[0]!.port);
    c1.sock.end();
    await waitFor(() => lines.some((l) => l.msg === 'connection close handler failed'));
    const c2 = await client(t.sockets[0]!.port);
    await c2.write(sipRequest('after'));
    expect((await inbox.next()).data.toString()).toContain('Call-ID: after');
  });
});
