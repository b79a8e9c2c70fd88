/** One UDP listen socket (node:dgram): receive datagrams, drop oversize ones, send from the bound address. */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { ListenSocket, ListenSpec, ReceiveInfo } from './types.js';
import { boundSocket } from './listen.js';
import { TransportError } from './errors.js';
import { hostPort, normalizeRemote } from './address.js';
import { LogLimiter } from '../log-limit.js';

export type Deliver = (data: Buffer, rinfo: ReceiveInfo) => void;

/**
 * Socket receive/send buffer asked for by default: the kernel's usual 208 KB receive buffer overflows
 * (datagrams dropped, seen as retransmissions) from about 1000 calls/s through a proxy.
 */
export const DEFAULT_UDP_BUFFER_SIZE = 4 * 1024 * 1024;

export class UdpEndpoint {
  private constructor(
    readonly listen: ListenSocket,
    private readonly sock: Socket,
  ) {}

  /** Binds `address` (already an IP literal) and starts delivering datagrams. */
  /**
   * `bufferSize` is the SO_RCVBUF/SO_SNDBUF asked for; the kernel caps it at net.core.rmem_max/wmem_max
   * (and Linux reports twice the value it accepted). The sizes obtained are logged at debug.
   */
  static open(
    spec: ListenSpec,
    address: string,
    family: 4 | 6,
    maxMessageSize: number,
    log: Logger,
    deliver: Deliver,
    bufferSize = DEFAULT_UDP_BUFFER_SIZE,
    logLimit: LogLimiter = new LogLimiter(),
  ): Promise<UdpEndpoint> {
    // IPv6 sockets are v6-only, as in OpenSIPS: `udp:[::]` and `udp:0.0.0.0` on one port must both bind.
    const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, lookup: literalLookup });
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error): void => {
        sock.close();
        reject(new TransportError('E_LISTEN', `cannot bind udp:${hostPort(address, spec.port)}: ${err.message}`, { cause: err }));
      };
      sock.once('error', onBindError);
      sock.bind({ address, port: spec.port, exclusive: true }, () => {
        sock.off('error', onBindError);
        const listen = boundSocket(spec, address, sock.address().port, family);
        setBufferSizes(sock, bufferSize, log, listen.name);
        sock.on('error', (err) => {
          if (logLimit.allow(log, 'warn', 'udp socket error')) log.warn({ socket: listen.name, err }, 'udp socket error');
        });
        sock.on('message', (data, r) => {
          if (data.length > maxMessageSize) {
            if (logLimit.allow(log, 'warn', 'oversize datagram dropped'))
              log.warn({ socket: listen.name, src: hostPort(r.address, r.port), bytes: data.length, max: maxMessageSize }, 'oversize datagram dropped');
            return;
          }
          deliver(data, { proto: 'udp', srcAddress: normalizeRemote(r.address), srcPort: r.port, socket: listen });
        });
        resolve(new UdpEndpoint(listen, sock));
      });
    });
  }

  /** Receive and send buffer sizes the kernel reports for this socket, bytes. */
  bufferSizes(): { recv: number; send: number } {
    return { recv: this.sock.getRecvBufferSize(), send: this.sock.getSendBufferSize() };
  }

  /** `address` must be an IP literal of this socket's family. */
  send(data: Buffer, address: string, port: number): Promise<undefined> {
    return new Promise((resolve, reject) => {
      this.sock.send(data, port, address, (err) => {
        if (err) reject(new TransportError('E_SEND', `udp send to ${hostPort(address, port)} failed: ${err.message}`, { cause: err }));
        else resolve(undefined);
      });
    });
  }

  /**
   * Sends with no callback: libuv tries the datagram at once and Node reports nothing back (a refused send
   * is lost like a datagram on the wire, which UDP callers already expect), so nothing is allocated per send.
   * Node refuses some sends by throwing at once (port 0 from a Via `host:0`, a closed socket): those are lost
   * the same way, since a throw here would unwind the caller (tm's 100 Trying, a retransmission timer).
   */
  post(data: Buffer, address: string, port: number): void {
    try {
      this.sock.send(data, port, address);
    } catch {
      // Lost like a refused datagram (see above).
    }
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

/**
 * dgram resolves every destination, even an IP literal, through dns.lookup and a process.nextTick before
 * the send. Callers pass IP literals only (the transport layer resolves names first), so the address is
 * handed back synchronously; a name still goes to the system resolver.
 */
function literalLookup(host: string, opts: LookupOneOptions, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const f = isIP(host);
  if (f !== 0) cb(null, host, f);
  else dnsLookup(host, opts, cb);
}

/** Asks for `size` bytes of receive and send buffer; a refusal is logged and the socket keeps its default. */
function setBufferSizes(sock: Socket, size: number, log: Logger, name: string): void {
  if (!(size > 0)) return;
  try {
    sock.setRecvBufferSize(size);
    sock.setSendBufferSize(size);
  } catch (err) {
    log.warn({ socket: name, err, requested: size }, 'udp socket buffer size refused');
  }
  if (log.isLevelEnabled('debug')) {
    log.debug({ socket: name, requested: size, recv: sock.getRecvBufferSize(), send: sock.getSendBufferSize() }, 'udp socket buffers');
  }
}
