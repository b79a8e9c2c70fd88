/** One UDP listen socket (node:dgram): receive datagrams, drop oversize ones, send from the bound address. */
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { ListenSocket, ListenSpec, ReceiveInfo } from './types.js';
import { boundSocket } from './listen.js';
import { TransportError } from './errors.js';
import { hostPort, normalizeRemote } from './address.js';

export type Deliver = (data: Buffer, rinfo: ReceiveInfo) => void;

export class UdpEndpoint {
  private constructor(
    readonly listen: ListenSocket,
    private readonly sock: Socket,
  ) {}

  /** Binds `address` (already an IP literal) and starts delivering datagrams. */
  static open(spec: ListenSpec, address: string, family: 4 | 6, maxMessageSize: number, log: Logger, deliver: Deliver): Promise<UdpEndpoint> {
    // IPv6 sockets are v6-only, as in OpenSIPS: `udp:[::]` and `udp:0.0.0.0` on one port must both bind.
    const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error): void => {
        sock.close();
        reject(new TransportError('E_LISTEN', `cannot bind udp:${hostPort(address, spec.port)}: ${err.message}`, { cause: err }));
      };
      sock.once('error', onBindError);
      sock.bind({ address, port: spec.port, exclusive: true }, () => {
        sock.off('error', onBindError);
        const listen = boundSocket(spec, address, sock.address().port, family);
        sock.on('error', (err) => log.warn({ socket: listen.name, err }, 'udp socket error'));
        sock.on('message', (data, r) => {
          if (data.length > maxMessageSize) {
            log.warn({ socket: listen.name, src: hostPort(r.address, r.port), bytes: data.length, max: maxMessageSize }, 'oversize datagram dropped');
            return;
          }
          deliver(data, { proto: 'udp', srcAddress: normalizeRemote(r.address), srcPort: r.port, socket: listen });
        });
        resolve(new UdpEndpoint(listen, sock));
      });
    });
  }

  /** `address` must be an IP literal of this socket's family. */
  send(data: Buffer, address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.send(data, port, address, (err) => {
        if (err) reject(new TransportError('E_SEND', `udp send to ${hostPort(address, port)} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        // Already closed.
        resolve();
      }
    });
  }
}
