/**
 * The receive pipeline: parse, validate, answer bad requests, then requests go to the main route and
 * replies to the modules' hooks (tm) or, unclaimed, to onreply_route and the stateless relay.
 * Nothing here may throw into the transport's receive loop, and every log line a peer can trigger at will
 * is rate limited (SipServer.logLimit) and reads the message only through `logContext`.
 */
import type { SipMessage } from '../message/message.js';
import { parseMessage } from '../message/parse.js';
import { logContext } from '../message/log-context.js';
import { SipParseError } from '../message/parse-error.js';
import { hostPort } from '../transport/address.js';
import type { ReceiveInfo } from '../transport/types.js';
import { runRoute, runRouteStatus } from './run-route.js';
import { topViaWithReceived } from './received.js';
import type { SipServer } from './server.js';

export class Receiver {
  readonly #s: SipServer;
  constructor(server: SipServer) {
    this.#s = server;
  }

  receive(data: Buffer, rinfo: ReceiveInfo): void {
    const s = this.#s;
    if (!s.ready) return; // not started yet or stopping: the peer retransmits
    let msg: SipMessage | undefined;
    try {
      msg = parseMessage(data, s.config.limits);
      msg.validate();
    } catch (err) {
      // A validation error comes from a message that parsed: that message is what a 400 is built from.
      try {
        if (err instanceof SipParseError) this.#bad(err, err.partial ?? msg, data, rinfo);
        else s.faults.caught('parsing', err, msg, { src: hostPort(rinfo.srcAddress, rinfo.srcPort) });
      } catch (e) {
        s.faults.caught('malformed message handling', e, err instanceof SipParseError ? (err.partial ?? msg) : msg);
      }
      return;
    }
    const m = msg;
    const p = m.isRequest ? this.#request(m, rinfo) : this.#reply(m, rinfo);
    p.catch((err: unknown) => s.faults.caught('message processing', err, m, { src: hostPort(rinfo.srcAddress, rinfo.srcPort) }));
  }

  /** A malformed message: answered 400 (505 for a bad version) when it is a request we can reply to. */
  #bad(err: SipParseError, m: SipMessage | undefined, data: Buffer, rinfo: ReceiveInfo): void {
    const s = this.#s;
    s.coreStats.bad_msg_hdr.inc();
    if (m === undefined || !m.isRequest) {
      s.coreStats.err_replies.inc();
      if (s.logLimit.allow(s.log, 'debug', 'malformed message dropped')) {
        s.log.debug({ err: logText(err.message), src: hostPort(rinfo.srcAddress, rinfo.srcPort), size: data.length }, 'malformed message dropped');
      }
      return;
    }
    s.coreStats.err_requests.inc();
    if (err.code === 'E_PARSE_URI') s.coreStats.bad_URIs_rcvd.inc();
    if (s.logLimit.allow(s.log, 'info', 'malformed request')) {
      s.log.info({ err: logText(err.message), src: hostPort(rinfo.srcAddress, rinfo.srcPort), ...logContext(m) }, 'malformed request');
    }
    if (m.method === 'ACK') return;
    const code = err.code === 'E_PARSE_VERSION' ? 505 : 400;
    const reason = code === 505 ? 'Version Not Supported' : `Bad Request (${shortReason(err.message)})`;
    s.sl.send(m, rinfo, code, reason);
    const er = s.routes.error_route;
    if (er) {
      const ctx = s.core.createContext('error', m, rinfo);
      ctx.error = err;
      runRoute(s, er, ctx).catch((e: unknown) => s.faults.caught('error_route', e, m));
    }
  }

  async #request(msg: SipMessage, rinfo: ReceiveInfo): Promise<void> {
    const s = this.#s;
    s.coreStats.rcv_requests.inc();
    if (msg.method === 'ACK' && s.sl.absorbAck(msg)) return;
    for (const h of s.hooks.requestIn) if (h(msg, rinfo)) return;
    const ctx = s.core.createContext('request', msg, rinfo);
    const via = topViaWithReceived(msg.topVia, rinfo);
    if (via !== undefined) ctx.ops.push({ kind: 'topVia', value: via });
    const outcome = await runRouteStatus(s, s.routes.request, ctx);
    if (outcome === 'drop') s.coreStats.drop_requests.inc();
    else if (outcome === 'error') {
      s.coreStats.err_requests.inc();
      // A broken script must not leave the caller retransmitting into silence.
      if (!ctx.replied && !ctx.forwarded && msg.method !== 'ACK') s.sl.send(msg, rinfo, 500, 'Server Internal Error');
    }
    for (const h of s.hooks.requestDone) {
      try {
        h(ctx);
      } catch (err) {
        s.log.error({ err }, 'request-done hook failed');
      }
    }
  }

  async #reply(msg: SipMessage, rinfo: ReceiveInfo): Promise<void> {
    const s = this.#s;
    s.coreStats.rcv_replies.inc();
    for (const h of s.hooks.replyIn) if (h(msg, rinfo)) return;
    const onreply = s.routes.onreply;
    if (onreply) {
      const ctx = s.core.createContext('onreply', msg, rinfo);
      if (!(await runRoute(s, onreply, ctx))) {
        s.coreStats.drop_replies.inc();
        return;
      }
    }
    await s.fwd.forwardReply(msg, rinfo);
  }
}

/** A parse error's text for a log line: it may quote a header of the garbage, which can be 60 KB long. */
function logText(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** First clause of a parse error, short enough for a reason phrase. */
function shortReason(message: string): string {
  let r = message.replace(/[\r\n]+/g, ' ');
  if (r.length > 60) r = r.slice(0, 60);
  return r;
}
