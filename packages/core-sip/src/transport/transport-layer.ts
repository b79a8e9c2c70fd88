/**
 * The transport layer: binds the declared listen sockets, delivers every received SIP message (one UDP datagram,
 * or one framed message of a TCP/TLS stream) to `onMessage`, and sends raw bytes to a target, reusing or opening
 * TCP/TLS connections. It frames and moves bytes only; parsing belongs to the message layer.
 */
import { lookup } from 'node:dns/promises';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { CoreTransport } from '../server/types.js';
import type { ConnectionCloseHandler, ListenSocket, ListenSpec, MessageHandler, Proto, ReceiveInfo, SendTarget, TlsOptions, TransportLimits } from './types.js';
import { TransportError } from './errors.js';
import { bareHost, hostPort, ipFamily } from './address.js';
import { boundSocket } from './listen.js';
import { DEFAULT_UDP_BUFFER_SIZE, UdpEndpoint } from './udp.js';
import { Connection, type ConnectionHooks } from './connection.js';
import { ConnectionTable, remoteKey } from './connection-table.js';
import { closeServer, connectTcp, createTcpServer, listenServer } from './tcp.js';
import { connectTls, createTlsServer } from './tls.js';
import { LogLimiter } from '../log-limit.js';

export interface TransportLayerOptions {
  /** Listen declarations, in the order `sockets` keeps (see parseListen). */
  listen: ListenSpec[];
  /** Required when a `tls:` socket is declared; also used for outgoing TLS. */
  tls?: TlsOptions;
  limits?: Partial<TransportLimits>;
  /** The transport's own logger, used as given: the server passes `logControl.child('transport')`, which already carries `module`. */
  log: Logger;
  /** Rate limits of the lines a peer can trigger (oversize datagrams, failed handlers); one of its own when absent. */
  logLimit?: LogLimiter;
  /**
   * Called once per received SIP message (bytes not yet parsed). Errors it throws or rejects with are logged;
   * they never stop the receive loop.
   */
  onMessage: MessageHandler;
  /**
   * Called once per TCP/TLS connection (accepted or opened) when it closed, after it left the table: sends to
   * its id no longer reuse it. Errors it throws are logged.
   */
  onConnectionClose?: ConnectionCloseHandler;
}

export const DEFAULT_LIMITS: Readonly<Required<TransportLimits>> = Object.freeze({
  maxMessageSize: 65535,
  connectionLifetimeMs: 120_000,
  connectTimeoutMs: 10_000,
  udpBufferSize: DEFAULT_UDP_BUFFER_SIZE,
  maxPendingResolves: 256,
});

interface StreamListener {
  readonly listen: ListenSocket;
  readonly server: Server;
  /** Raw sockets accepted and not yet closed, TLS handshakes included, so stop() can end them. */
  readonly raw: Set<Socket>;
}

type State = 'idle' | 'starting' | 'running' | 'stopped';

export class TransportLayer implements CoreTransport {
  private readonly opts: TransportLayerOptions;
  private readonly log: Logger;
  private readonly logLimit: LogLimiter;
  private readonly limits: Readonly<Required<TransportLimits>>;
  private readonly table = new ConnectionTable();
  /** Connects in progress by remote key, so concurrent sends to one peer share one connection. */
  private readonly connecting = new Map<string, Promise<Connection>>();
  private readonly stopSignal = new AbortController();
  private readonly hooks: ConnectionHooks;
  private udp: UdpEndpoint[] = [];
  private streams: StreamListener[] = [];
  private bound: ListenSocket[] = [];
  private state: State = 'idle';
  /** Host name lookups in flight (see TransportLimits.maxPendingResolves). */
  private resolving = 0;

  constructor(opts: TransportLayerOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.logLimit = opts.logLimit ?? new LogLimiter();
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...definedOnly(opts.limits) });
    this.hooks = {
      onMessage: (conn, data) => this.deliver(data, conn.rinfo),
      onClose: (conn, error) => this.connectionClosed(conn, error),
    };
  }

  /** Bound listen sockets, in declaration order (empty before start). */
  get sockets(): readonly ListenSocket[] {
    return this.bound;
  }

  /** Binds every declared socket; on any failure closes what was bound and rejects. */
  async start(): Promise<readonly ListenSocket[]> {
    if (this.state !== 'idle') throw new TransportError('E_STATE', `start() called in state ${this.state}; a stopped layer is not restarted`);
    this.state = 'starting';
    if (this.opts.tls === undefined) {
      const tlsSpec = this.opts.listen.find((s) => s.proto === 'tls');
      if (tlsSpec !== undefined) {
        this.state = 'stopped';
        throw new TransportError('E_TLS_CONFIG', `listen tls:${hostPort(tlsSpec.address, tlsSpec.port)} needs tls options (cert, key)`);
      }
    }
    const bound: ListenSocket[] = [];
    try {
      for (const spec of this.opts.listen) bound.push(await this.bind(spec));
    } catch (err) {
      await this.closeAll();
      this.state = 'stopped';
      throw err;
    }
    this.bound = bound;
    this.state = 'running';
    this.log.info({ sockets: bound.map((s) => s.name) }, 'transport listening');
    return bound;
  }

  /** Closes listeners and every connection; resolves when all handles are released. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopSignal.abort();
    await Promise.allSettled([...this.connecting.values()]);
    await this.closeAll();
    this.bound = [];
  }

  /** First socket of the proto and IP family, in declaration order. */
  findSocket(proto: Proto, family: 4 | 6): ListenSocket | undefined {
    return this.bound.find((s) => s.proto === proto && s.family === family);
  }

  /** Open TCP/TLS connections, both directions. */
  connectionCount(): number {
    return this.table.size;
  }

  /**
   * Sends raw bytes. UDP goes out of `target.socket` or the first UDP socket of the target's family. TCP/TLS
   * reuses `target.connId` while open, else a connection to the same `address:port`, else opens one (rejects
   * on connect failure or after connectTimeoutMs). A hostname is resolved with the system resolver.
   * Resolves to the id of the TCP/TLS connection written to (the one onConnectionClose will name), undefined for UDP.
   */
  send(target: SendTarget, data: Buffer): Promise<number | undefined> {
    // UDP to an IP literal (every reply and most relayed requests) goes straight to the socket: no async
    // frames, no resolver, one Promise per datagram.
    if (target.proto === 'udp' && this.state === 'running') {
      const address = bareHost(target.address);
      if (ipFamily(address) !== 0) return this.sendUdp(target, address, target.port, data);
    }
    return this.sendSlow(target, data);
  }

  /** CoreTransport.post: fire and forget, synchronous and allocation-free for UDP to an IP literal. */
  post(target: SendTarget, data: Buffer): void {
    if (target.proto === 'udp' && this.state === 'running') {
      const address = bareHost(target.address);
      const ep = ipFamily(address) !== 0 ? this.udpFor(target, address) : undefined;
      if (ep !== undefined) {
        this.logSend('udp', address, target.port, data);
        ep.post(data, address, target.port);
        return;
      }
    }
    this.send(target, data).catch((err: unknown) => {
      if (this.logLimit.allow(this.log, 'debug', 'send failed')) this.log.debug({ err, to: `${target.proto}:${target.address}:${target.port}` }, 'send failed');
    });
  }

  private async sendSlow(target: SendTarget, data: Buffer): Promise<number | undefined> {
    if (this.state !== 'running') throw new TransportError('E_NOT_STARTED', 'transport is not running');
    if (target.proto !== 'udp' && target.connId !== undefined) {
      const conn = this.table.byId(target.connId);
      if (conn !== undefined && conn.proto === target.proto && conn.isOpen) {
        this.logSend(target.proto, conn.remoteAddress, conn.remotePort, data);
        await conn.write(data);
        return conn.id;
      }
    }
    const host = bareHost(target.address);
    const address = await this.resolve(host, target.socket?.family);
    const port = target.port;
    if (target.proto === 'udp') {
      await this.sendUdp(target, address, port, data);
      return undefined;
    }

    const existing = this.table.byRemote(target.proto, address, port);
    const conn = existing !== undefined && existing.isOpen ? existing : await this.connect(target, host, address, port);
    this.logSend(target.proto, address, port, data);
    await conn.write(data);
    return conn.id;
  }

  /** Bookkeeping of a closed connection, then the report to onConnectionClose. */
  private connectionClosed(conn: Connection, error: boolean): void {
    this.table.remove(conn);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ connId: conn.id, remote: conn.remoteName(), error }, 'connection closed');
    const report = this.opts.onConnectionClose;
    if (report === undefined) return;
    try {
      report({ id: conn.id, proto: conn.proto, remoteAddress: conn.remoteAddress, remotePort: conn.remotePort, outgoing: conn.outgoing, error });
    } catch (err) {
      this.log.error({ err, connId: conn.id }, 'connection close handler failed');
    }
  }

  // --- receive ---------------------------------------------------------------------------------------------

  /** Hands a message to onMessage; nothing it throws or rejects with may escape into the socket loop. */
  private deliver(data: Buffer, rinfo: ReceiveInfo): void {
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ proto: rinfo.proto, src: hostPort(rinfo.srcAddress, rinfo.srcPort), connId: rinfo.connId, bytes: data.length }, 'message received');
    }
    try {
      const result: unknown = this.opts.onMessage(data, rinfo);
      if (result instanceof Promise) result.catch((err: unknown) => this.handlerFailed(err, rinfo));
    } catch (err) {
      this.handlerFailed(err, rinfo);
    }
  }

  private handlerFailed(err: unknown, rinfo: ReceiveInfo): void {
    try {
      if (this.logLimit.allow(this.log, 'error', 'message handler failed')) {
        this.log.error({ err, proto: rinfo.proto, src: hostPort(rinfo.srcAddress, rinfo.srcPort) }, 'message handler failed');
      }
    } catch {
      // Nothing may escape into the socket loop, a failing logger included.
    }
  }

  // --- bind / close ----------------------------------------------------------------------------------------

  private async bind(spec: ListenSpec): Promise<ListenSocket> {
    const address = await this.resolve(spec.address, undefined);
    const family = ipFamily(address) === 6 ? 6 : 4;
    if (spec.proto === 'udp') {
      const ep = await UdpEndpoint.open(
        spec,
        address,
        family,
        this.limits.maxMessageSize,
        this.log,
        (data, rinfo) => this.deliver(data, rinfo),
        this.limits.udpBufferSize,
        this.logLimit,
      );
      this.udp.push(ep);
      return ep.listen;
    }

    // The ListenSocket needs the real port, known only after listen(); accepted sockets read it from `holder`.
    const holder: { listen: ListenSocket | undefined } = { listen: undefined };
    const onStream = (stream: Socket): void => {
      if (holder.listen !== undefined) this.accept(stream, holder.listen);
      else stream.destroy();
    };
    const tls = this.opts.tls;
    let server: Server;
    if (spec.proto === 'tls') {
      if (tls === undefined) throw new TransportError('E_TLS_CONFIG', `listen tls:${hostPort(address, spec.port)} needs tls options (cert, key)`);
      server = createTlsServer(tls, onStream);
    } else {
      server = createTcpServer(onStream);
    }
    const raw = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      raw.add(s);
      s.once('close', () => raw.delete(s));
    });
    if (spec.proto === 'tls') {
      server.on('tlsClientError', (err: Error, s: Socket) => {
        if (this.log.isLevelEnabled('debug')) this.log.debug({ err, remote: s.remoteAddress }, 'tls handshake failed');
      });
    }
    let port: number;
    try {
      port = await listenServer(server, address, spec.port, family);
    } catch (err) {
      throw new TransportError('E_LISTEN', `cannot bind ${spec.proto}:${hostPort(address, spec.port)}: ${errMessage(err)}`, { cause: err });
    }
    server.on('error', (err: Error) => this.log.error({ err, socket: holder.listen?.name }, 'listener error'));
    const listen = boundSocket(spec, address, port, family);
    holder.listen = listen;
    this.streams.push({ listen, server, raw });
    return listen;
  }

  private async closeAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const conn of [...this.table.all()]) {
      waits.push(conn.whenClosed());
      conn.close();
    }
    for (const l of this.streams) {
      for (const s of l.raw) s.destroy();
      waits.push(closeServer(l.server));
    }
    for (const ep of this.udp) waits.push(ep.close());
    this.streams = [];
    this.udp = [];
    await Promise.all(waits);
  }

  // --- connections -----------------------------------------------------------------------------------------

  private accept(stream: Socket, listen: ListenSocket): void {
    const remoteAddress = stream.remoteAddress;
    const remotePort = stream.remotePort;
    if (this.state !== 'running' || remoteAddress === undefined || remotePort === undefined) {
      stream.destroy();
      return;
    }
    const conn = this.newConnection(stream, listen, false, remoteAddress, remotePort);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ connId: conn.id, remote: conn.remoteName(), socket: listen.name }, 'connection accepted');
  }

  private newConnection(stream: Socket, listen: ListenSocket, outgoing: boolean, remoteAddress: string, remotePort: number): Connection {
    const conn = new Connection({
      id: this.table.allocateId(),
      stream,
      listen,
      outgoing,
      remoteAddress,
      remotePort,
      maxMessageSize: this.limits.maxMessageSize,
      lifetimeMs: this.limits.connectionLifetimeMs,
      log: this.log,
      logLimit: this.logLimit,
      hooks: this.hooks,
    });
    this.table.add(conn);
    return conn;
  }

  /** Opens (or joins an opening of) a connection to address:port. */
  private connect(target: SendTarget, host: string, address: string, port: number): Promise<Connection> {
    const proto = target.proto;
    const key = remoteKey(proto, address, port);
    const pending = this.connecting.get(key);
    if (pending !== undefined) return pending;

    const family = ipFamily(address) === 6 ? 6 : 4;
    const listen = target.socket ?? this.findSocket(proto, family);
    if (listen === undefined || listen.proto !== proto || listen.family !== family) {
      return Promise.reject(new TransportError('E_NO_SOCKET', `no ${proto} listen socket for IPv${family} to reach ${hostPort(address, port)}`));
    }
    const tls = this.opts.tls;
    if (proto === 'tls' && tls === undefined) {
      return Promise.reject(new TransportError('E_TLS_CONFIG', `tls to ${hostPort(address, port)} needs tls options`));
    }
    // Leave the choice of source address to the kernel for wildcard sockets.
    const localAddress = listen.address === '0.0.0.0' || listen.address === '::' ? undefined : listen.address;
    const timeout = this.limits.connectTimeoutMs;
    const signal = this.stopSignal.signal;
    const open = (): Promise<Socket> =>
      proto === 'tls' && tls !== undefined
        ? connectTls(address, port, host, localAddress, tls, timeout, signal)
        : connectTcp(address, port, localAddress, timeout, signal);

    const opening = (async (): Promise<Connection> => {
      const stream = await open();
      // Registered at once: the peer may send requests back over this connection (RFC 3261 18.3).
      const conn = this.newConnection(stream, listen, true, address, port);
      if (this.log.isLevelEnabled('debug')) this.log.debug({ connId: conn.id, remote: conn.remoteName(), socket: listen.name }, 'connection opened');
      return conn;
    })();
    this.connecting.set(key, opening);
    const forget = (): void => {
      this.connecting.delete(key);
    };
    opening.then(forget, forget);
    return opening;
  }

  // --- udp / helpers ---------------------------------------------------------------------------------------

  private sendUdp(target: SendTarget, address: string, port: number, data: Buffer): Promise<undefined> {
    const ep = this.udpFor(target, address);
    if (ep === undefined) {
      const from = target.socket === undefined ? `IPv${ipFamily(address) === 6 ? 6 : 4}` : target.socket.name;
      return Promise.reject(new TransportError('E_NO_SOCKET', `no udp socket (${from}) to reach ${hostPort(address, port)}`));
    }
    this.logSend('udp', address, port, data);
    return ep.send(data, address, port);
  }

  /** The UDP endpoint to send to IP literal `address` from (target.socket's, else the family's first), if it can. */
  private udpFor(target: SendTarget, address: string): UdpEndpoint | undefined {
    const family = ipFamily(address) === 6 ? 6 : 4;
    const ep = this.udpEndpoint(target.socket, family);
    return ep !== undefined && ep.listen.family === family ? ep : undefined;
  }

  /** The endpoint of `wanted` (by identity, then name), else the first of the family; loops, no closures. */
  private udpEndpoint(wanted: ListenSocket | undefined, family: 4 | 6): UdpEndpoint | undefined {
    const eps = this.udp;
    for (let i = 0; i < eps.length; i++) {
      const e = eps[i] as UdpEndpoint;
      if (wanted === undefined ? e.listen.family === family : e.listen === wanted) return e;
    }
    if (wanted === undefined) return undefined;
    for (let i = 0; i < eps.length; i++) {
      const e = eps[i] as UdpEndpoint;
      if (e.listen.name === wanted.name) return e;
    }
    return undefined;
  }

  /** An IP literal as is; a hostname through the system resolver (most callers pass IPs). */
  private async resolve(host: string, family: 4 | 6 | undefined): Promise<string> {
    if (ipFamily(host) !== 0) return host;
    if (this.resolving >= this.limits.maxPendingResolves) {
      throw new TransportError('E_RESOLVE_BUSY', `cannot resolve "${host}": ${this.resolving} lookups already in flight`);
    }
    this.resolving++;
    try {
      const r = await lookup(host, family === undefined ? {} : { family });
      return r.address;
    } catch (err) {
      throw new TransportError('E_RESOLVE', `cannot resolve "${host}": ${errMessage(err)}`, { cause: err });
    } finally {
      this.resolving--;
    }
  }

  private logSend(proto: Proto, address: string, port: number, data: Buffer): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ proto, dst: hostPort(address, port), bytes: data.length }, 'message sent');
  }
}

function definedOnly(limits: Partial<TransportLimits> | undefined): Partial<TransportLimits> {
  const out: Partial<TransportLimits> = {};
  if (limits === undefined) return out;
  if (limits.maxMessageSize !== undefined) out.maxMessageSize = limits.maxMessageSize;
  if (limits.connectionLifetimeMs !== undefined) out.connectionLifetimeMs = limits.connectionLifetimeMs;
  if (limits.connectTimeoutMs !== undefined) out.connectTimeoutMs = limits.connectTimeoutMs;
  if (limits.udpBufferSize !== undefined) out.udpBufferSize = limits.udpBufferSize;
  if (limits.maxPendingResolves !== undefined) out.maxPendingResolves = limits.maxPendingResolves;
  return out;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
