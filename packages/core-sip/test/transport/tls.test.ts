import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { TransportLayer } from '../../src/transport/transport-layer.js';
import { parseListen } from '../../src/transport/listen.js';
import type { TlsOptions } from '../../src/transport/types.js';
import { waitFor } from '@tsips/testkit';
import { Inbox, RawClient, captureLog, sipRequest } from './helpers.js';

let tls: TlsOptions;
beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  tls = { cert: pems.cert, key: pems.private, ca: pems.cert };
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function layer(opts: Partial<TlsOptions> = {}) {
  const inbox = new Inbox();
  const { log, lines } = captureLog();
  const t = new TransportLayer({ listen: [parseListen('tls:127.0.0.1:0')], tls: { ...tls, ...opts }, log, onMessage: inbox.handler });
  await t.start();
  cleanup.push(() => t.stop());
  return { t, inbox, lines, port: t.sockets[0]!.port };
}

describe('TLS transport', () => {
  it('receives from a TLS client and answers over the same connection', async () => {
    const { t, inbox, port } = await layer();
    expect(t.sockets[0]!.name).toBe(`tls:127.0.0.1:${port}`);
    const c = await RawClient.tls(port, String(tls.ca));
    cleanup.push(() => c.close());
    const req = sipRequest('tls1', 'body');
    await c.write(req);
    const m = await inbox.next();
    expect(m.data.equals(req)).toBe(true);
    expect(m.rinfo).toMatchObject({ proto: 'tls', srcAddress: '127.0.0.1', srcPort: c.sock.localPort, socket: t.sockets[0] });
    const reply = 'SIP/2.0 200 OK\r\nCall-ID: tls1\r\nContent-Length: 0\r\n\r\n';
    await t.send({ proto: 'tls', address: '127.0.0.1', port: 5061, connId: m.rinfo.connId! }, Buffer.from(reply));
    expect(await c.waitFor((s) => s.endsWith('\r\n\r\n'))).toBe(reply);
    // Keep-alives work over TLS as well.
    await c.write('\r\n\r\n');
    await c.waitFor((s) => s === `${reply}\r\n`);
  });

  it('send() reaches the TLS listener of a second layer, verifying its certificate, and the reply comes back', async () => {
    const a = await layer({ verifyPeer: true });
    const b = await layer();
    await a.t.send({ proto: 'tls', address: '127.0.0.1', port: b.port }, sipRequest('a2b'));
    const atB = await b.inbox.next();
    expect(atB.data.toString()).toContain('Call-ID: a2b');
    expect(atB.rinfo.proto).toBe('tls');
    await b.t.send(
      { proto: 'tls', address: atB.rinfo.srcAddress, port: atB.rinfo.srcPort, connId: atB.rinfo.connId! },
      Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
    );
    const atA = await a.inbox.next();
    expect(atA.data.toString()).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(atA.rinfo).toMatchObject({ proto: 'tls', srcPort: b.port, connId: expect.any(Number) });
    expect(a.t.connectionCount()).toBe(1);
  });

  it('send() names the TLS connection; its close is reported with proto tls', async () => {
    const closed: { id: number; proto: string; outgoing: boolean }[] = [];
    const { log } = captureLog();
    const a = new TransportLayer({
      listen: [parseListen('tls:127.0.0.1:0')],
      tls,
      log,
      onMessage: () => undefined,
      onConnectionClose: (c) => closed.push({ id: c.id, proto: c.proto, outgoing: c.outgoing }),
    });
    await a.start();
    cleanup.push(() => a.stop());
    const b = await layer();
    const id = await a.send({ proto: 'tls', address: '127.0.0.1', port: b.port }, sipRequest('tlsid'));
    expect(id).toBeTypeOf('number');
    await b.inbox.next();
    await b.t.stop();
    await waitFor(() => closed.length > 0);
    expect(closed).toEqual([{ id, proto: 'tls', outgoing: true }]);
  });

  it('verifyPeer rejects a certificate it does not trust', async () => {
    const other = await generate([{ name: 'commonName', value: 'other' }], { keySize: 2048, algorithm: 'sha256' });
    const a = await layer({ verifyPeer: true, ca: other.cert });
    const b = await layer();
    await expect(a.t.send({ proto: 'tls', address: '127.0.0.1', port: b.port }, sipRequest('x'))).rejects.toThrow(
      /^E_CONNECT: cannot connect to 127\.0\.0\.1:\d+ \(tls\): /,
    );
    expect(a.t.connectionCount()).toBe(0);
  });

  it('a tls listen without certificate fails at start', async () => {
    const { log } = captureLog();
    const t = new TransportLayer({ listen: [parseListen('udp:127.0.0.1:0'), parseListen('tls:127.0.0.1:0')], log, onMessage: () => undefined });
    await expect(t.start()).rejects.toThrow('E_TLS_CONFIG: listen tls:127.0.0.1:0 needs tls options (cert, key)');
    expect(t.sockets).toEqual([]);
  });
});
