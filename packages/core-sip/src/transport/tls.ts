/** TLS listeners and outgoing connections (node:tls) with the certificate from TlsOptions. */
import { createServer, connect, type Server, type TLSSocket } from 'node:tls';
import type { TlsOptions } from './types.js';
import { whenConnected } from './tcp.js';
import { hostPort, ipFamily } from './address.js';

export function createTlsServer(opts: TlsOptions, onSocket: (stream: TLSSocket) => void): Server {
  return createServer(
    {
      cert: opts.cert,
      key: opts.key,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      // Client certificates are not required; verifying them is a policy for a later tls_mgm-like module.
      requestCert: false,
      // A peer that opens TCP and never finishes the handshake must not hold a socket for long.
      handshakeTimeout: 10_000,
    },
    onSocket,
  );
}

export function connectTls(
  address: string,
  port: number,
  serverName: string | undefined,
  localAddress: string | undefined,
  opts: TlsOptions,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<TLSSocket> {
  const stream = connect({
    host: address,
    port,
    // SNI only carries host names (RFC 6066 3).
    ...(serverName !== undefined && ipFamily(serverName) === 0 ? { servername: serverName } : {}),
    ...(localAddress === undefined ? {} : { localAddress }),
    cert: opts.cert,
    key: opts.key,
    ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    rejectUnauthorized: opts.verifyPeer ?? false,
  });
  return whenConnected(stream, 'secureConnect', `${hostPort(address, port)} (tls)`, timeoutMs, signal);
}
