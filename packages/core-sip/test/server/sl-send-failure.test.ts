/**
 * A stateless reply that cannot be sent is logged, never thrown: the failure handler runs on a message the
 * pipeline could only answer with 400 (RFC 4475 insuf: no Call-ID, From or To), so it must not read parsed
 * headers (msg.callId threw there, the rejection went unhandled and the process died).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { SipServer } from '../../src/index.js';
import { UdpPeer, statusOf } from '@tsips/testkit';

const lines: string[] = [];
let server: SipServer;
let uac: UdpPeer;
let port: number;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'warn', destination },
    routes: { request: (ctx) => void ctx.sl_send_reply(200, 'OK') },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  await server.stop();
});

describe('stateless reply send failure', () => {
  it('logs the 400 it could not send for a request without Call-ID, From and To, and keeps serving', async () => {
    // Port 0 in the sent-by: the reply target is refused by the socket, so the send promise rejects.
    const insuf = 'INVITE sip:user@example.com SIP/2.0\r\nCSeq: 193942 INVITE\r\nVia: SIP/2.0/UDP 127.0.0.1:0;branch=z9hG4bKkdj.insuf\r\nl: 0\r\n\r\n';
    await uac.send(insuf, port);
    await expect.poll(() => lines.some((l) => l.includes('stateless reply could not be sent')), { timeout: 3000 }).toBe(true);
    const line = JSON.parse(lines.find((l) => l.includes('stateless reply could not be sent'))!) as { code: number; callId?: string };
    expect(line.code).toBe(400);
    expect(line.callId).toBeUndefined();
    await uac.send(
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKafter;rport\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: after-insuf\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      port,
    );
    expect(statusOf((await uac.next()).text)).toBe(200);
  });
});
