/** The liveness probe of the attack runs: OPTIONS to the server itself, each answered 200 within a bound. */
import type { Socket } from 'node:dgram';

const HOST = '127.0.0.1';

/**
 * OPTIONS to the server itself, at least every `everyMs`; each must be answered 200 within `timeoutMs`.
 * `gate()` sends one more and waits for its answer.
 */
export class LivenessProber {
  readonly #sock: Socket;
  readonly #port: number;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, { sent: number; done: (ms: number) => void }>();
  #n = 0;
  #timer: NodeJS.Timeout | undefined;
  #check: NodeJS.Timeout | undefined;
  failure: string | undefined;
  count = 0;
  maxMs = 0;

  constructor(sock: Socket, port: number, timeoutMs: number) {
    this.#sock = sock;
    this.#port = port;
    this.#timeoutMs = timeoutMs;
    sock.on('message', (d) => {
      const text = d.toString('latin1');
      const id = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im.exec(text)?.[1];
      const p = id === undefined ? undefined : this.#pending.get(id);
      if (p === undefined || !text.startsWith('SIP/2.0 200')) return;
      this.#pending.delete(id!);
      const ms = Date.now() - p.sent;
      this.maxMs = Math.max(this.maxMs, ms);
      p.done(ms);
    });
  }

  start(everyMs: number): void {
    this.#timer = setInterval(() => void this.probe(), everyMs);
    this.#check = setInterval(() => {
      const now = Date.now();
      for (const [id, p] of this.#pending) {
        if (now - p.sent > this.#timeoutMs && this.failure === undefined) this.failure = `liveness probe ${id} not answered within ${this.#timeoutMs} ms`;
      }
    }, 50);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#check);
  }

  probe(): Promise<number> {
    const id = `probe-${++this.#n}-${process.pid}`;
    this.count++;
    const port = this.#sock.address().port;
    const msg = [
      `OPTIONS sip:${HOST}:${this.#port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bKprobe${this.#n};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@${HOST}>;tag=p${this.#n}`,
      `To: <sip:${HOST}:${this.#port}>`,
      `Call-ID: ${id}`,
      `CSeq: ${this.#n} OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return new Promise((resolve) => {
      this.#pending.set(id, { sent: Date.now(), done: resolve });
      this.#sock.send(Buffer.from(msg, 'latin1'), this.#port, HOST);
    });
  }

  /** A probe whose answer is awaited; fails (without waiting longer) past the timeout. */
  async gate(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, this.#timeoutMs + 100)));
    await Promise.race([this.probe(), late]);
    clearTimeout(timer);
  }
}
