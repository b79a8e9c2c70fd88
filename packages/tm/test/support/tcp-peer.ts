/** A bare TCP SIP peer for tests: accepts connections, frames messages by Content-Length, can drop them all. */
import { createServer, type Server, type Socket } from 'node:net';

export class TcpPeer {
  readonly #server: Server;
  readonly #conns = new Set<Socket>();
  readonly #queue: string[] = [];
  #waiters: ((t: string) => void)[] = [];
  /** Every message received, in order. */
  readonly received: string[] = [];
  last: Socket | undefined;
  port = 0;

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (s) => {
      this.#conns.add(s);
      this.last = s;
      s.on('close', () => this.#conns.delete(s));
      s.on('error', () => undefined);
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const len = Number(/^(?:Content-Length|l):\s*(\d+)/im.exec(buf.slice(0, end))?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          const msg = buf.slice(0, end + 4 + len);
          buf = buf.slice(end + 4 + len);
          this.#push(msg);
        }
      });
    });
  }

  #push(msg: string): void {
    this.received.push(msg);
    const w = this.#waiters.shift();
    if (w) w(msg);
    else this.#queue.push(msg);
  }

  static async open(): Promise<TcpPeer> {
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const p = new TcpPeer(server);
    const a = server.address();
    p.port = typeof a === 'object' && a !== null ? a.port : 0;
    return p;
  }

  next(ms = 3000): Promise<string> {
    const q = this.#queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        rej(new Error(`no TCP message within ${ms} ms`));
      }, ms);
      const waiter = (m: string): void => {
        clearTimeout(t);
        res(m);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends on the last accepted connection. */
  send(text: string): void {
    this.last?.write(Buffer.from(text, 'latin1'));
  }

  /** Resets every connection and stops listening: the peer is gone (new connects are refused). */
  async die(): Promise<void> {
    for (const s of this.#conns) s.resetAndDestroy();
    await new Promise<void>((res) => this.#server.close(() => res()));
  }

  async close(): Promise<void> {
    for (const s of this.#conns) s.destroy();
    if (this.#server.listening) await new Promise<void>((res) => this.#server.close(() => res()));
  }
}
