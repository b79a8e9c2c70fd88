/** freePort gives a port both TCP and UDP can bind; udpPortBound sees a bound UDP port without binding it. */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UdpPeer, freePort, udpPortBound, waitFor } from '../src/index.js';

describe('ports', () => {
  it('freePort: TCP and UDP both bind the port it returns', async () => {
    const port = await freePort();
    const tcp = createServer().listen(port, '127.0.0.1');
    await once(tcp, 'listening');
    const udp = createSocket('udp4').bind(port, '127.0.0.1');
    await once(udp, 'listening');
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
  });

  it('udpPortBound: true while a socket holds the port, false once it is closed', async () => {
    const peer = await UdpPeer.open();
    expect(await udpPortBound(peer.port)).toBe(true);
    peer.close(); // the handle closes asynchronously
    await waitFor(
      async () => !(await udpPortBound(peer.port)),
      2000,
      () => `UDP ${peer.port} still bound`,
    );
  });
});
