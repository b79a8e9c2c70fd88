/**
 * A minimal caller and callee for the dialog tests, on raw UDP: enough SIP to set up a call through the
 * proxy, answer its in-dialog requests (BYE, OPTIONS) and send ours along the recorded route.
 */
import { UdpPeer, headerOf, headersOf, statusOf, type Received } from '@tsips/testkit';

export { headerOf, headersOf, statusOf };

let seq = 0;
const uniq = () => `${++seq}x${Date.now().toString(36)}`;

export function firstLine(text: string): string {
  return text.slice(0, text.indexOf('\r\n'));
}
export function methodOf(text: string): string {
  return text.slice(0, text.indexOf(' '));
}
export function tagOf(v: string | undefined): string | undefined {
  return v === undefined ? undefined : /;\s*tag=([^;>\s]+)/i.exec(v)?.[1];
}
export function cseqOf(text: string): number {
  return Number((headerOf(text, 'CSeq') ?? '0').split(' ')[0]);
}

/** A reply to a request text: its Via/From/To/Call-ID/CSeq (and Record-Route, as a UAS must) copied. */
export function replyTo(req: string, code: number, reason: string, opts: { toTag?: string; contact?: string; extra?: string[] } = {}): string {
  const lines = [`SIP/2.0 ${code} ${reason}`];
  for (const v of headersOf(req, 'Via')) lines.push(`Via: ${v}`);
  lines.push(`From: ${headerOf(req, 'From')}`);
  const to = headerOf(req, 'To') ?? '';
  lines.push(`To: ${opts.toTag !== undefined && tagOf(to) === undefined ? `${to};tag=${opts.toTag}` : to}`);
  lines.push(`Call-ID: ${headerOf(req, 'Call-ID')}`);
  lines.push(`CSeq: ${headerOf(req, 'CSeq')}`);
  if (code >= 180 && code < 300) for (const rr of headersOf(req, 'Record-Route')) lines.push(`Record-Route: ${rr}`);
  if (opts.contact !== undefined) lines.push(`Contact: <${opts.contact}>`);
  lines.push(...(opts.extra ?? []), 'Content-Length: 0', '', '');
  return lines.join('\r\n');
}

/** One side of a call: a UDP socket plus what it knows of the dialog. */
export class Ua {
  callId = '';
  localTag = `t${uniq()}`;
  remoteTag = '';
  localUri: string;
  remoteUri = '';
  remoteTarget = '';
  /** Route set for our requests, in order. */
  routes: string[] = [];
  cseq = 0;

  constructor(
    readonly peer: UdpPeer,
    readonly proxyPort: number,
    name: string,
  ) {
    this.localUri = `sip:${name}@127.0.0.1`;
  }

  static async open(proxyPort: number, name: string): Promise<Ua> {
    return new Ua(await UdpPeer.open(), proxyPort, name);
  }

  get port(): number {
    return this.peer.port;
  }
  get contact(): string {
    return `sip:${this.localUri.slice(4, this.localUri.indexOf('@'))}@127.0.0.1:${this.peer.port}`;
  }

  next(ms?: number): Promise<Received> {
    return this.peer.next(ms);
  }

  /** The next message that is not a retransmission-prone 100 Trying. */
  async nextNon100(ms?: number): Promise<Received> {
    for (;;) {
      const r = await this.peer.next(ms);
      if (!r.text.startsWith('SIP/2.0 100 ')) return r;
    }
  }

  silent(ms?: number): Promise<boolean> {
    return this.peer.silent(ms);
  }

  send(text: string): Promise<void> {
    return this.peer.send(text, this.proxyPort);
  }

  /** Sends an initial INVITE to `to` through the proxy. */
  async invite(to: string, extra: string[] = []): Promise<string> {
    this.callId = `call-${uniq()}@test`;
    this.remoteUri = to;
    this.cseq = 1;
    const text = this.request('INVITE', to, extra, true);
    await this.send(text);
    return text;
  }

  /** A request in this UA's dialog (or the initial one). */
  request(method: string, ruri?: string, extra: string[] = [], initial = false, cseq?: number): string {
    const lines = [
      `${method} ${ruri ?? this.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${uniq()};rport`,
      'Max-Forwards: 70',
      `From: <${this.localUri}>;tag=${this.localTag}`,
      `To: <${this.remoteUri}>${initial || this.remoteTag === '' ? '' : `;tag=${this.remoteTag}`}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq ?? this.cseq} ${method}`,
      `Contact: <${this.contact}>`,
      ...(initial ? [] : this.routes.map((r) => `Route: ${r}`)),
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ];
    return lines.join('\r\n');
  }

  /** Caller: takes the dialog from the 2xx (remote tag, target, route set = Record-Route reversed). */
  learnFromAnswer(ok: string): void {
    this.remoteTag = tagOf(headerOf(ok, 'To')) ?? '';
    this.remoteTarget = /<([^>]+)>/.exec(headerOf(ok, 'Contact') ?? '')?.[1] ?? '';
    this.routes = headersOf(ok, 'Record-Route')
      .flatMap((v) => v.split(/,(?=\s*<)/).map((s) => s.trim()))
      .reverse();
  }

  /** Callee: takes the dialog from the INVITE it received (route set = Record-Route in order). */
  learnFromInvite(inv: string): void {
    this.callId = headerOf(inv, 'Call-ID') ?? '';
    this.remoteTag = tagOf(headerOf(inv, 'From')) ?? '';
    this.remoteUri = /<([^>]+)>/.exec(headerOf(inv, 'From') ?? '')?.[1] ?? '';
    this.remoteTarget = /<([^>]+)>/.exec(headerOf(inv, 'Contact') ?? '')?.[1] ?? '';
    this.routes = headersOf(inv, 'Record-Route').flatMap((v) => v.split(/,(?=\s*<)/).map((s) => s.trim()));
    this.localUri = /<([^>]+)>/.exec(headerOf(inv, 'To') ?? '')?.[1] ?? this.localUri;
  }

  /** Sends an in-dialog request with the next CSeq. */
  async sendInDialog(method: string, extra: string[] = []): Promise<string> {
    if (method !== 'ACK') this.cseq++;
    const text = this.request(method, undefined, extra);
    await this.send(text);
    return text;
  }

  reply(req: string, code: number, reason: string, extra: string[] = []): Promise<void> {
    return this.send(replyTo(req, code, reason, { toTag: this.localTag, contact: this.contact, extra }));
  }

  close(): void {
    this.peer.close();
  }
}
