/** A bare UDP SIP peer for tests: sends raw messages and collects what arrives; helpers to read and answer them. */
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

  /** Datagrams received and not yet taken by next(). */
  get queued(): number {
    return this.#queue.length;
  }

  /** The next datagram (the oldest queued one first), or a rejection after `ms`. */
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

/** A reply to a received request text, as a downstream UAS would build it. */
export function replyTo(req: string, code: number, reason: string, opts: { toTag?: string; headers?: string[]; body?: string } = {}): string {
  const lines = req.split('\r\n');
  const out = [`SIP/2.0 ${code} ${reason}`];
  for (const l of lines.slice(1)) {
    if (l === '') break;
    const n = l.slice(0, l.indexOf(':')).toLowerCase();
    if (n === 'via' || n === 'from' || n === 'call-id' || n === 'cseq') out.push(l);
    else if (n === 'to') out.push(opts.toTag !== undefined && !/;tag=/.test(l) ? `${l};tag=${opts.toTag}` : l);
  }
  const body = opts.body ?? '';
  out.push(...(opts.headers ?? []), `Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return out.join('\r\n');
}

export function methodOf(text: string): string {
  return text.slice(0, text.indexOf(' '));
}

/** Waits for the next datagram that satisfies `pred`, skipping others. */
export async function nextMatching(peer: UdpPeer, pred: (text: string) => boolean, ms = 3000): Promise<Received> {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) throw new Error('no matching datagram');
    const r = await peer.next(left);
    if (pred(r.text)) return r;
  }
}

/** The next final reply (>= 200, not to a CANCEL) of the call `callId`, skipping other calls' retransmissions. */
export function finalOf(peer: UdpPeer, callId: string, ms = 3000): Promise<Received> {
  return nextMatching(peer, (t) => statusOf(t) >= 200 && headerOf(t, 'Call-ID') === callId && !/^CSeq:\s*\d+\s+CANCEL/im.test(t), ms);
}
