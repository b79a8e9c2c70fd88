/** The server over TCP and TLS: replies on the connection the request came on, forwarding onto a stream. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { generate } from 'selfsigned';
import { SipServer, parseMessage, type SipMessage, type RouteContext } from '../../src/index.js';
import { UdpPeer, request } from '@tsips/testkit';

let server: SipServer;
let route: (ctx: RouteContext) => void | Promise<void> = () => undefined;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  server = new SipServer({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'tls:127.0.0.1:0'],
    tls: { cert: pems.cert, key: pems.private },
    mi: false,
    log: { level: 'silent' },
    routes: { request: (ctx) => route(ctx) },
  });
  await server.start();
});
afterAll(() => server.stop());

const portOf = (proto: string) => server.sockets.find((s) => s.proto === proto)!.port;

/** Reads one SIP message (headers + Content-Length body) from a stream socket. */
function readMessage(sock: Socket): Promise<SipMessage> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => reject(new Error('no message on the stream')), 3000);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const cl = /content-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString())?.[1];
      if (buf.length < end + 4 + Number(cl ?? 0)) return;
      clearTimeout(t);
      sock.off('data', onData);
      resolve(parseMessage(buf.subarray(0, end + 4 + Number(cl ?? 0))));
    };
    sock.on('data', onData);
  });
}

function streamRequest(proto: 'TCP' | 'TLS', localPort: number): string {
  return request('OPTIONS', 'sip:127.0.0.1', localPort).replace('SIP/2.0/UDP', `SIP/2.0/${proto}`);
}

describe('stream transports through the server', () => {
  it('answers a request received over TCP on the same connection', async () => {
    route = (ctx) => void ctx.sl_send_reply(200, `via ${ctx.$proto}`);
    const sock = tcpConnect(portOf('tcp'), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(streamRequest('TCP', sock.localPort!));
    const m = await readMessage(sock);
    expect([m.status, m.reason]).toEqual([200, 'via tcp']);
    sock.destroy();
  });

  it('answers a request received over TLS on the same connection', async () => {
    route = (ctx) => void ctx.sl_send_reply(200, `via ${ctx.$proto}`);
    const sock = tlsConnect({ port: portOf('tls'), host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    sock.write(streamRequest('TLS', sock.localPort!));
    const m = await readMessage(sock);
    expect([m.status, m.reason]).toEqual([200, 'via tls']);
    sock.destroy();
  });

  it('forwards a UDP request onto TCP with a TCP Via, and relays the reply back over UDP', async () => {
    // A TCP "UAS" the proxy connects to.
    const { createServer } = await import('node:net');
    const uas = createServer();
    await new Promise<void>((r) => uas.listen(0, '127.0.0.1', () => r()));
    const uasPort = (uas.address() as { port: number }).port;
    const got = new Promise<{ msg: SipMessage; sock: Socket }>((resolve) => uas.once('connection', (s) => void readMessage(s).then((msg) => resolve({ msg, sock: s }))));
    route = async (ctx) => void (await ctx.forward(`sip:bob@127.0.0.1:${uasPort};transport=tcp`));
    const uac = await UdpPeer.open();
    await uac.send(request('MESSAGE', 'sip:bob@example.com', uac.port, { callId: 'udp-to-tcp' }), portOf('udp'));
    const { msg, sock } = await got;
    expect(msg.topVia.transport).toBe('TCP');
    expect(msg.topVia.port).toBe(portOf('tcp'));
    const vias = msg.headerValues('Via').join('\r\nVia: ');
    sock.write(
      `SIP/2.0 202 Accepted\r\nVia: ${vias}\r\nFrom: ${msg.header('From')}\r\nTo: ${msg.header('To')};tag=x\r\nCall-ID: ${msg.callId}\r\nCSeq: ${msg.header('CSeq')}\r\nContent-Length: 0\r\n\r\n`,
    );
    const back = parseMessage((await uac.next()).data);
    expect([back.status, back.callId, back.via.length]).toEqual([202, 'udp-to-tcp', 1]);
    uac.close();
    sock.destroy();
    uas.close();
  });
});
