/** hooks.onConnectionClose through the server: a TCP connection ending reaches every module hook once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import { SipServer, type ConnectionClosed } from '../../src/index.js';
import { request, waitFor } from '@tsips/testkit';

let server: SipServer;
const seen: ConnectionClosed[] = [];
const seenBySecond: number[] = [];

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    routes: { request: (ctx) => void ctx.sl_send_reply(200, 'OK') },
  });
  // A throwing hook must not keep the next one from running.
  server.hooks.onConnectionClose(() => {
    throw new Error('first hook fails');
  });
  server.hooks.onConnectionClose((c) => seen.push(c));
  server.hooks.onConnectionClose((c) => seenBySecond.push(c.id));
  await server.start();
});
afterAll(() => server.stop());

describe('hooks.onConnectionClose', () => {
  it('fires once per closed connection with its id, peer and error flag; send() named that id', async () => {
    const port = server.sockets.find((s) => s.proto === 'tcp')!.port;
    const sock = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const local = sock.localPort!;
    const replied = new Promise<void>((r) => sock.once('data', () => r()));
    sock.write(request('OPTIONS', 'sip:127.0.0.1', local).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    await replied;
    // The reply went back on the connection; send() to the peer's address reuses it and names it.
    const connId = await server.transport.send({ proto: 'tcp', address: '127.0.0.1', port: local }, Buffer.from('\r\n\r\n'));
    expect(connId).toBeTypeOf('number');
    sock.resetAndDestroy();
    await waitFor(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([{ id: connId, proto: 'tcp', remoteAddress: '127.0.0.1', remotePort: local, outgoing: false, error: true }]);
    expect(seenBySecond).toEqual([connId]);
  });
});
