/** TCP listeners and outgoing connections (node:net). TLS reuses the listen and connect plumbing. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TransportError } from './errors.js';
import { hostPort } from './address.js';

export function createTcpServer(onSocket: (stream: Socket) => void): Server {
  return createServer({ noDelay: true }, onSocket);
}

/** Binds a TCP or TLS server; resolves with the real port (0 asks the OS for a free one). */
export function listenServer(server: Server, address: string, port: number, family: 4 | 6): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true, ipv6Only: family === 6 }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export function connectTcp(address: string, port: number, localAddress: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  const stream = connect({ host: address, port, ...(localAddress === undefined ? {} : { localAddress }), noDelay: true });
  return whenConnected(stream, 'connect', `${hostPort(address, port)} (tcp)`, timeoutMs, signal);
}

/**
 * Resolves once `readyEvent` fires; rejects on error, after timeoutMs, or when `signal` aborts (the transport
 * stops); the socket is then destroyed. Shared by TCP (`connect`) and TLS (`secureConnect`).
 */
export function whenConnected<S extends Socket>(stream: S, readyEvent: string, what: string, timeoutMs: number, signal: AbortSignal): Promise<S> {
  return new Promise((resolve, reject) => {
    const fail = (err: TransportError): void => {
      cleanup();
      // Nothing listens on this socket any more; a late error must not become an uncaught exception.
      stream.on('error', ignore);
      stream.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new TransportError('E_CONNECT', `cannot connect to ${what}: transport stopped`));
    const onError = (err: Error): void => fail(new TransportError('E_CONNECT', `cannot connect to ${what}: ${err.message}`, { cause: err }));
    const onReady = (): void => {
      cleanup();
      // Until the caller wraps the socket (a microtask later), an error in this tick must not go uncaught.
      stream.on('error', ignore);
      resolve(stream);
    };
    const timer = setTimeout(() => fail(new TransportError('E_CONNECT_TIMEOUT', `no connection to ${what} after ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off(readyEvent, onReady);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once(readyEvent, onReady);
    stream.once('error', onError);
  });
}

function ignore(): void {}
