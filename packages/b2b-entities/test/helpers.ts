/**
 * A tsips server with tm + b2b_entities on a free loopback port whose script the tests steer, plus a raw
 * UDP user agent to call it or be called by it.
 */
import { SipServer, type AnyModule, type EventParams, type RouteContext } from '@core/sip';
import { UdpPeer, headerOf, headersOf, statusOf, type Received } from '@tsips/testkit';
import tm from '@mod/tm';
import b2b from '../src/index.js';

export { headerOf, headersOf, statusOf };

export const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

export interface Steer {
  /** Main route for requests; the default answers initial INVITEs with a UA session and 200 + SDP. */
  request?(ctx: RouteContext): void | Promise<void>;
  /** event_route[E_UA_SESSION], after the event is recorded. */
  event?(p: EventParams, ctx: RouteContext): void;
  /** Flags of the default ua_session_server_init. */
  flags: string;
}

export class B2bServer {
  server!: SipServer;
  readonly events: EventParams[] = [];
  /** Requests the main route saw (the b2b in-dialog ones must never show up here). */
  readonly mainRoute: string[] = [];
  steer: Steer = { flags: '' };

  static async start(
    modparams: Record<string, unknown> = {},
    extra: { modules?: AnyModule[]; routes?: Record<string, (ctx: RouteContext) => void>; modparams?: Record<string, unknown> } = {},
  ): Promise<B2bServer> {
    const h = new B2bServer();
    h.server = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: (process.env['B2B_TEST_LOG'] as 'debug' | undefined) ?? 'silent' },
      modules: [tm, ...(extra.modules ?? []), b2b] as AnyModule[],
      modparams: { tm: { fr_timer: 2, fr_inv_timer: 4, wt_timer: 0.2 }, b2b_entities: modparams, ...extra.modparams } as never,
      routes: {
        request: (ctx) => h.#route(ctx),
        route: extra.routes,
        event_route: {
          E_UA_SESSION: (p, _n, ctx) => {
            h.events.push(p);
            h.steer.event?.(p, ctx);
          },
        },
      },
    });
    await h.server.start();
    return h;
  }

  get port(): number {
    return this.server.sockets[0]!.port;
  }

  mi(name: string, params?: Record<string, unknown>): Promise<unknown> {
    return this.server.mi.call(name, params ?? {});
  }

  eventsOf(key: string): string[] {
    return this.events
      .filter((e) => e['key'] === key)
      .map((e) => `${String(e['event_type'])}:${String(e['method'])}${e['status'] === null ? '' : `:${String(e['status'])}`}`);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  async #route(ctx: RouteContext): Promise<void> {
    this.mainRoute.push(ctx.$rm);
    if (this.steer.request !== undefined) return this.steer.request(ctx);
    if (ctx.is_method('INVITE') && !ctx.has_totag()) {
      const key = ctx.ua_session_server_init(null, this.steer.flags);
      ctx.ua_session_reply(key, 'INVITE', 200, 'OK', SDP);
      return;
    }
    if (!ctx.is_method('ACK')) ctx.sl_send_reply(404, 'Not Here');
  }
}

let seq = 0;
const uniq = () => `${++seq}x${Date.now().toString(36)}`;

export function tagOf(v: string | undefined): string | undefined {
  return v === undefined ? undefined : /;\s*tag=([^;>\s]+)/i.exec(v)?.[1];
}
export function methodOf(text: string): string {
  return text.slice(0, text.indexOf(' '));
}
export function bodyOf(text: string): string {
  const i = text.indexOf('\r\n\r\n');
  return i < 0 ? '' : text.slice(i + 4);
}

/** One SIP user agent on raw UDP, talking to the server under test. */
export class Ua {
  callId = '';
  localTag = `t${uniq()}`;
  remoteTag = '';
  remoteUri = '';
  remoteTarget = '';
  routes: string[] = [];
  cseq = 0;
  readonly localUri: string;

  private constructor(
    readonly peer: UdpPeer,
    readonly serverPort: number,
    name: string,
  ) {
    this.localUri = `sip:${name}@127.0.0.1`;
  }

  static async open(serverPort: number, name = 'alice'): Promise<Ua> {
    return new Ua(await UdpPeer.open(), serverPort, name);
  }

  get port(): number {
    return this.peer.port;
  }
  get contact(): string {
    return `sip:${this.localUri.slice(4, this.localUri.indexOf('@'))}@127.0.0.1:${this.peer.port}`;
  }

  /** The next message, skipping 100 Trying. */
  async next(ms = 3000): Promise<Received> {
    for (;;) {
      const r = await this.peer.next(ms);
      if (!r.text.startsWith('SIP/2.0 100 ')) return r;
    }
  }
  /** The next message matching, skipping the rest (retransmissions). */
  async nextWhere(pred: (t: string) => boolean, ms = 3000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const r = await this.peer.next(Math.max(1, end - Date.now()));
      if (pred(r.text)) return r.text;
    }
  }
  silent(ms?: number): Promise<boolean> {
    return this.peer.silent(ms);
  }
  send(text: string): Promise<void> {
    return this.peer.send(text, this.serverPort);
  }

  request(method: string, opts: { ruri?: string; extra?: string[]; body?: string; initial?: boolean; cseq?: number; branch?: string } = {}): string {
    const body = opts.body ?? '';
    const lines = [
      `${method} ${opts.ruri ?? this.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${opts.branch ?? `z9hG4bK${uniq()}`};rport`,
      'Max-Forwards: 70',
      `From: <${this.localUri}>;tag=${this.localTag}`,
      `To: <${this.remoteUri}>${opts.initial === true || this.remoteTag === '' ? '' : `;tag=${this.remoteTag}`}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${opts.cseq ?? this.cseq} ${method}`,
      `Contact: <${this.contact}>`,
      ...(opts.initial === true ? [] : this.routes.map((r) => `Route: ${r}`)),
      ...(opts.extra ?? []),
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    return lines.join('\r\n');
  }

  /** Sends an initial INVITE to the server; returns its text. */
  async invite(to = `sip:bob@127.0.0.1:${this.serverPort}`, body = SDP, extra: string[] = []): Promise<string> {
    this.callId = `call-${uniq()}@test`;
    this.remoteUri = to;
    this.cseq = 1;
    const text = this.request('INVITE', { ruri: to, initial: true, body, extra });
    await this.send(text);
    return text;
  }

  /** Caller side: the dialog from a 2xx (or 1xx with a tag). */
  learn(reply: string): void {
    this.remoteTag = tagOf(headerOf(reply, 'To')) ?? '';
    this.remoteTarget = /<([^>]+)>/.exec(headerOf(reply, 'Contact') ?? '')?.[1] ?? this.remoteTarget;
    this.routes = headersOf(reply, 'Record-Route').reverse();
  }

  /** Callee side: the dialog from a received INVITE. */
  learnInvite(inv: string): void {
    this.callId = headerOf(inv, 'Call-ID') ?? '';
    this.remoteTag = tagOf(headerOf(inv, 'From')) ?? '';
    this.remoteUri = /<([^>]+)>/.exec(headerOf(inv, 'From') ?? '')?.[1] ?? '';
    this.remoteTarget = /<([^>]+)>/.exec(headerOf(inv, 'Contact') ?? '')?.[1] ?? '';
  }

  async sendInDialog(method: string, opts: { body?: string; extra?: string[] } = {}): Promise<string> {
    if (method !== 'ACK') this.cseq++;
    const text = this.request(method, opts);
    await this.send(text);
    return text;
  }

  /** A reply to a received request (our tag added to To when it has none). */
  async reply(req: string, code: number, reason: string, opts: { body?: string; extra?: string[] } = {}): Promise<void> {
    const lines = [`SIP/2.0 ${code} ${reason}`];
    for (const v of headersOf(req, 'Via')) lines.push(`Via: ${v}`);
    lines.push(`From: ${headerOf(req, 'From')}`);
    const to = headerOf(req, 'To') ?? '';
    lines.push(`To: ${code > 100 && tagOf(to) === undefined ? `${to};tag=${this.localTag}` : to}`);
    lines.push(`Call-ID: ${headerOf(req, 'Call-ID')}`, `CSeq: ${headerOf(req, 'CSeq')}`);
    if (code > 100 && code < 300) lines.push(`Contact: <${this.contact}>`);
    const body = opts.body ?? '';
    lines.push(...(opts.extra ?? []), ...(body === '' ? [] : ['Content-Type: application/sdp']), `Content-Length: ${Buffer.byteLength(body)}`, '', body);
    await this.send(lines.join('\r\n'));
  }

  close(): void {
    this.peer.close();
  }
}
