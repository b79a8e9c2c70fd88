/** A bare UDP SIP peer for tests: sends raw messages and collects what arrives. */
import { createSocket, type Socket } from 'node:dgram';

export interface Received {
  data: Buffer;
  text: string;
  port: number;
  address: string;
}

export class UdpPeer {
  readonly #sock: Socket;
  readonly #queue: Received[] = [];
  #waiters: ((r: Received) => void)[] = [];
  port = 0;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('message', (data, rinfo) => {
      const r = { data, text: data.toString('latin1'), port: rinfo.port, address: rinfo.address };
      const w = this.#waiters.shift();
      if (w) w(r);
      else this.#queue.push(r);
    });
  }

  static async open(): Promise<UdpPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
    const p = new UdpPeer(sock);
    p.port = sock.address().port;
    return p;
  }

  send(text: string | Buffer, port: number): Promise<void> {
    const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    return new Promise((res, rej) => this.#sock.send(buf, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  }

  /** The next datagram, or a rejection after `ms`. */
  next(ms = 2000): Promise<Received> {
    const q = this.#queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        rej(new Error(`no datagram within ${ms} ms`));
      }, ms);
      const waiter = (r: Received) => {
        clearTimeout(t);
        res(r);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Resolves true when nothing arrives within `ms`. */
  async silent(ms = 300): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  close(): void {
    this.#sock.close();
  }
}

let seq = 0;
/** A request from a UAC at 127.0.0.1:`port`, with the headers a proxy needs. */
export function request(
  method: string,
  ruri: string,
  port: number,
  opts: { headers?: string[]; body?: string; toTag?: string; callId?: string; branch?: string; maxForwards?: number | null } = {},
): string {
  seq++;
  const body = opts.body ?? '';
  const lines = [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${opts.branch ?? `z9hG4bKtest${seq}x${Date.now()}`};rport`,
    ...(opts.maxForwards === null ? [] : [`Max-Forwards: ${opts.maxForwards ?? 70}`]),
    `From: <sip:alice@127.0.0.1>;tag=a${seq}`,
    `To: <sip:bob@example.com>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? `call-${seq}-${Date.now()}@test`}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:alice@127.0.0.1:${port}>`,
    ...(opts.headers ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** First line and headers of a message, for assertions. */
export function headerOf(text: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'im');
  return re.exec(text)?.[1]?.trim();
}
export function headersOf(text: string, name: string): string[] {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'gim');
  return [...text.matchAll(re)].map((m) => (m[1] ?? '').trim());
}
export function statusOf(text: string): number {
  return Number(text.slice(8, 11));
}
