/** One TCP or TLS connection: framing of the byte stream, keep-alive pongs, idle close, writes. */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ListenSocket, ReceiveInfo } from './types.js';
import { StreamFramer } from './stream-framer.js';
import { TransportError } from './errors.js';
import { hostPort, normalizeRemote } from './address.js';
import type { LogLimiter } from '../log-limit.js';

const PONG = Buffer.from('\r\n', 'latin1');

export interface ConnectionHooks {
  /** A whole SIP message arrived on the connection. */
  onMessage(conn: Connection, data: Buffer): void;
  /** The connection closed (peer, error, idle timeout or stop). Fires once; `error` as ConnectionClosed.error. */
  onClose(conn: Connection, error: boolean): void;
}

export interface ConnectionOptions {
  id: number;
  stream: Socket;
  /** The listen socket the connection belongs to (accepted on it, or opened from it). */
  listen: ListenSocket;
  /** True when we opened it. */
  outgoing: boolean;
  remoteAddress: string;
  remotePort: number;
  maxMessageSize: number;
  lifetimeMs: number;
  log: Logger;
  logLimit: LogLimiter;
  hooks: ConnectionHooks;
}

export class Connection {
  readonly id: number;
  readonly proto: 'tcp' | 'tls';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listen: ListenSocket;
  readonly outgoing: boolean;
  /** Built once and handed out with every message received on this connection. */
  readonly rinfo: ReceiveInfo;
  private readonly stream: Socket;
  private readonly log: Logger;
  private closed = false;
  /** Set when the stream could not be framed: we close it ourselves, yet the close is a failure. */
  private failed = false;

  constructor(o: ConnectionOptions) {
    this.id = o.id;
    this.proto = o.listen.proto === 'tls' ? 'tls' : 'tcp';
    this.remoteAddress = normalizeRemote(o.remoteAddress);
    this.remotePort = o.remotePort;
    this.listen = o.listen;
    this.outgoing = o.outgoing;
    this.stream = o.stream;
    this.log = o.log;
    this.rinfo = Object.freeze({
      proto: this.proto,
      srcAddress: this.remoteAddress,
      srcPort: this.remotePort,
      socket: o.listen,
      connId: o.id,
    });

    const framer = new StreamFramer(o.maxMessageSize, {
      onMessage: (data) => o.hooks.onMessage(this, data),
      onPing: () => {
        if (!this.closed) this.stream.write(PONG);
      },
      onError: (reason) => {
        if (o.logLimit.allow(this.log, 'warn', 'stream cannot be resynchronised')) {
          this.log.warn({ connId: this.id, remote: this.remoteName(), reason }, 'closing connection: stream cannot be resynchronised');
        }
        this.failed = true;
        this.close();
      },
    });

    const stream = o.stream;
    // SIP messages are written whole; Nagle would only delay them.
    stream.setNoDelay(true);
    // Node resets this timer on every read and write: it fires only after lifetimeMs of silence.
    stream.setTimeout(o.lifetimeMs);
    stream.on('timeout', () => {
      if (this.log.isLevelEnabled('debug')) this.log.debug({ connId: this.id, remote: this.remoteName() }, 'idle connection closed');
      this.close();
    });
    stream.on('data', (chunk: Buffer) => {
      // An exception here would be thrown from the socket's event emitter, out of reach of any caller.
      try {
        framer.push(chunk);
      } catch (err) {
        if (o.logLimit.allow(this.log, 'error', 'stream framing failed'))
          this.log.error({ connId: this.id, remote: this.remoteName(), err }, 'stream framing failed: connection closed');
        this.failed = true;
        this.close();
      }
    });
    stream.on('error', (err: Error) => {
      // Resets and aborts are routine on SIP trunks; the close handler does the bookkeeping.
      if (this.log.isLevelEnabled('debug')) this.log.debug({ connId: this.id, remote: this.remoteName(), err }, 'connection error');
    });
    // Node sets hadError for resets and failed writes; a FIN from the peer or our own destroy() is not one.
    stream.once('close', (hadError: boolean) => {
      this.closed = true;
      o.hooks.onClose(this, hadError || this.failed);
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.stream.destroyed && this.stream.writable;
  }

  remoteName(): string {
    return hostPort(this.remoteAddress, this.remotePort);
  }

  write(data: Buffer): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(new TransportError('E_CONN_CLOSED', `connection ${this.id} to ${this.remoteName()} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.stream.write(data, (err) => {
        if (err) reject(new TransportError('E_SEND', `write to ${this.remoteName()} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Closes at once: pending writes are dropped (used for broken streams, idle timeout and stop). */
  close(): void {
    this.closed = true;
    this.stream.destroy();
  }

  /** Resolves when the socket has fully closed. */
  whenClosed(): Promise<void> {
    if (this.stream.closed) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('close', () => resolve()));
  }
}
