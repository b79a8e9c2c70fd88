/** Shared helpers for the transport tests: a capturing logger, a message inbox, raw TCP/TLS clients. */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { sleep } from '@tsips/testkit';
import type { ReceiveInfo } from '../../src/transport/types.js';

// testkit's helpers, re-exported for the transport tests that import them from here.
export { captureLog, sleep, type LogLine } from '@tsips/testkit';

export interface Received {
  data: Buffer;
  rinfo: ReceiveInfo;
}

/** Collects what onMessage gets; next() waits for the following one. */
export class Inbox {
  readonly items: Received[] = [];
  private read = 0;
  private waiter: (() => void) | undefined;

  readonly handler = (data: Buffer, rinfo: ReceiveInfo): void => {
    // Copy: the transport may hand out a view of a socket chunk.
    this.items.push({ data: Buffer.from(data), rinfo });
    this.waiter?.();
  };

  async next(timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.items.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.items[this.read++]!;
  }

  /** Asserts nothing more arrives within ms. */
  async none(ms = 200): Promise<void> {
    await sleep(ms);
    if (this.items.length > this.read) {
      throw new Error(`unexpected message: ${this.items[this.read]!.data.toString('latin1').slice(0, 80)}`);
    }
  }
}

export function sipRequest(callId: string, body = '', compact = false): Buffer {
  const cl = compact ? `l: ${Buffer.byteLength(body)}` : `Content-Length: ${Buffer.byteLength(body)}`;
  return Buffer.from(
    `OPTIONS sip:test@127.0.0.1 SIP/2.0\r\n` +
      `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}\r\n` +
      `Call-ID: ${callId}\r\n` +
      `CSeq: 1 OPTIONS\r\n` +
      `${cl}\r\n\r\n${body}`,
    'latin1',
  );
}

/** A raw stream client that accumulates everything it reads. */
export class RawClient {
  received = Buffer.alloc(0);
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.on('data', (c: Buffer) => {
      this.received = Buffer.concat([this.received, c]);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closed = true;
    });
  }

  static async tcp(port: number): Promise<RawClient> {
    const sock = netConnect({ host: '127.0.0.1', port, noDelay: true });
    await once(sock, 'connect');
    return new RawClient(sock);
  }

  static async tls(port: number, ca: string): Promise<RawClient> {
    const sock: TLSSocket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    await once(sock, 'secureConnect');
    return new RawClient(sock);
  }

  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.sock.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async waitFor(pred: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.received.toString('latin1'))) {
      if (Date.now() > deadline) throw new Error(`timeout; got ${JSON.stringify(this.received.toString('latin1'))}`);
      await sleep(10);
    }
    return this.received.toString('latin1');
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await sleep(10);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
