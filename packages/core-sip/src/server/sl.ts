/**
 * Stateless replies (the OpenSIPS sl module): `sl_send_reply`, the 400/505 answers of the pipeline, and
 * absorbing the ACKs that come back for negative stateless replies (recognised by our To-tag prefix).
 */
import { randomBytes } from 'node:crypto';
import type { SipMessage } from '../message/message.js';
import { buildResponse, reasonPhrase } from '../message/build.js';
import { parseMessage } from '../message/parse.js';
import { topViaWithReceived } from './received.js';
import { fromSocket, responseTarget } from '../transport/response-target.js';
import type { ReceiveInfo } from '../transport/types.js';
import type { RouteContext } from '../script/context.js';
import type { Counter } from '../stats/types.js';
import { fnv1a, hex8 } from './hash.js';
import type { SipServer } from './server.js';

export class StatelessReplier {
  /** Random per process, so our tags are recognisable and unguessable across restarts. */
  readonly tagPrefix = `${randomBytes(4).toString('hex')}-`;
  readonly #server: SipServer;
  readonly #byClass: Counter[];
  readonly #sent: Counter;
  readonly #sentErr: Counter;
  readonly #acks: Counter;

  constructor(server: SipServer) {
    this.#server = server;
    const s = server.stats;
    this.#sent = s.counter('sl', 'sent_replies', 'Replies sent statelessly');
    this.#sentErr = s.counter('sl', 'sent_err_replies', 'Error replies (sl_reply_error) sent statelessly');
    this.#acks = s.counter('sl', 'received_ACKs', 'ACKs to stateless replies absorbed');
    this.#byClass = [1, 2, 3, 4, 5, 6].map((c) => s.counter('sl', `${c}xx_replies`, `${c}xx replies sent statelessly`));
  }

  /** The To-tag of our stateless replies: the same for a request and its retransmissions. */
  tagFor(msg: SipMessage): string {
    // Raw header text, not the parsed headers: this also serves the 400 for a message whose From is broken.
    return this.tagPrefix + hex8(fnv1a(`${msg.header('call-id') ?? ''}|${msg.header('from') ?? ''}|${msg.header('via') ?? ''}`));
  }

  /** True when `msg` is the ACK for a negative reply we sent statelessly. */
  absorbAck(msg: SipMessage): boolean {
    const tag = msg.to.tag;
    if (tag === undefined || !tag.startsWith(this.tagPrefix)) return false;
    this.#acks.inc();
    return true;
  }

  reply(ctx: RouteContext, code: number, reason?: string, headers?: readonly [string, string][]): number {
    const msg = ctx.msg;
    if (!msg.isRequest) throw new TypeError('sl_send_reply: the message is a reply');
    if (msg.method === 'ACK') return -1; // ACKs are never answered (RFC 3261 17.2.3)
    if (code < 100 || code > 699) throw new RangeError(`sl_send_reply: bad code ${code}`);
    this.send(msg, ctx.rinfo, code, reason, headers);
    ctx.replied = true;
    return 1;
  }

  /** Builds and sends a reply to `msg`; errors are logged, never thrown (the pipeline uses it for 400s). */
  send(msg: SipMessage, rinfo: ReceiveInfo, code: number, reason?: string, headers?: readonly [string, string][]): boolean {
    const server = this.#server;
    try {
      // buildResponse adds it only when the To has no tag yet.
      const toTag = code > 100 ? this.tagFor(msg) : undefined;
      const extra: [string, string][] = headers ? [...headers] : [];
      const sh = server.core.serverHeader;
      if (sh !== false) extra.push(['Server', sh]);
      // The reply carries the Via as our transport saw it: with received/rport (RFC 3261 18.2.1, RFC 3581).
      const via = topViaWithReceived(msg.topVia, rinfo);
      const req = via === undefined ? msg : parseMessage(msg.edit().popVia().pushVia(via).toBuffer());
      const buf = buildResponse(req, code, reason ?? reasonPhrase(code), { toTag, headers: extra });
      const t = responseTarget(msg.topVia, rinfo);
      // Raw header text in the handler: a handler must not throw, and the message may be a 400's (no Call-ID).
      const callId = msg.header('call-id');
      server.send(fromSocket(t, rinfo.socket), buf).catch((err: unknown) => {
        server.log.warn({ err, code, callId }, 'stateless reply could not be sent');
      });
      this.#sent.inc();
      if (code >= 400) this.#sentErr.inc();
      this.#byClass[Math.floor(code / 100) - 1]?.inc();
      return true;
    } catch (err) {
      server.log.warn({ err, code }, 'stateless reply could not be built');
      return false;
    }
  }
}
