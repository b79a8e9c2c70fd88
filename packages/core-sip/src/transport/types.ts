/** Transport layer contract: listen sockets as OpenSIPS declares them, receive and send of raw SIP bytes. */

export type Proto = 'udp' | 'tcp' | 'tls';

/** A listen declaration, e.g. `udp:127.0.0.1:5060`, `tcp:0.0.0.0:5060 as 203.0.113.7:5060`. */
export interface ListenSpec {
  proto: Proto;
  address: string;
  /** 0 picks a free port (tests). Default 5060, 5061 for TLS. */
  port: number;
  /** Address/port advertised in Via and Record-Route instead of the bound ones (OpenSIPS `as`). */
  advertisedAddress?: string;
  advertisedPort?: number;
}

/** A bound listen socket. */
export interface ListenSocket {
  readonly proto: Proto;
  readonly address: string;
  /** The real port (resolved after bind when 0 was asked). */
  readonly port: number;
  /** Host and port to put in Via/Record-Route. */
  readonly advertisedAddress: string;
  readonly advertisedPort: number;
  /** `udp:127.0.0.1:5060`, as OpenSIPS names sockets. */
  readonly name: string;
  readonly family: 4 | 6;
}

/** Where a message came from. */
export interface ReceiveInfo {
  readonly proto: Proto;
  readonly srcAddress: string;
  readonly srcPort: number;
  readonly socket: ListenSocket;
  /** Connection id for TCP/TLS: replies and in-dialog requests reuse it. */
  readonly connId?: number;
}

/** Where to send. */
export interface SendTarget {
  proto: Proto;
  address: string;
  port: number;
  /** Reuse this connection when it is still open (TCP/TLS). */
  connId?: number;
  /** Send from this socket (defaults to the first socket of the proto and family). */
  socket?: ListenSocket;
}

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  /** Verify the peer's certificate on outgoing connections (default false: SIP peers often use self-signed certs). */
  verifyPeer?: boolean;
}

export interface TransportLimits {
  /** Largest message accepted, bytes (default 65535). */
  maxMessageSize: number;
  /** Idle TCP/TLS connections are closed after this many ms (default 120000, OpenSIPS tcp_connection_lifetime). */
  connectionLifetimeMs: number;
  /** An outgoing TCP/TLS connect (with the TLS handshake) fails after this many ms (default 10000). */
  connectTimeoutMs?: number;
  /** UDP socket receive/send buffer, bytes (default 4 MiB; the kernel caps it at rmem_max/wmem_max). */
  udpBufferSize?: number;
  /**
   * Host name lookups (system resolver) in flight at once (default 256); a send that needs one more fails at
   * once with E_RESOLVE_BUSY. A flood of requests whose Via names a host would otherwise queue lookups on
   * libuv's 4 threads without bound, each holding its reply, while the DNS server takes seconds to fail.
   */
  maxPendingResolves?: number;
}

export type MessageHandler = (data: Buffer, rinfo: ReceiveInfo) => void;

/** A TCP/TLS connection that has closed, as the transport reports it (the id is never reused). */
export interface ConnectionClosed {
  /** The id ReceiveInfo.connId and CoreTransport.send gave for this connection. */
  readonly id: number;
  readonly proto: 'tcp' | 'tls';
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True when we opened it, false when the peer did. */
  readonly outgoing: boolean;
  /**
   * True when it ended on an error (reset, write failure, a stream that could not be framed); false for
   * an orderly close by the peer, our idle timeout (connectionLifetimeMs) or the transport stopping.
   */
  readonly error: boolean;
}

/** Called once per TCP/TLS connection, after it closed and left the connection table. */
export type ConnectionCloseHandler = (closed: ConnectionClosed) => void;
