/**
 * Stateless forwarding (OpenSIPS `forward()` and the relay of replies that match no transaction),
 * RFC 3261 16.11: the branch is a hash of the incoming request, so a retransmission, its CANCEL and the
 * ACK of a negative reply all get the branch the first copy had.
 */
import type { RouteContext } from '../script/context.js';
import type { SipMessage } from '../message/message.js';
import { parseUri } from '../uri/uri.js';
import { fromSocket, responseTarget } from '../transport/response-target.js';
import type { ReceiveInfo, SendTarget } from '../transport/types.js';
import { resolveDestination, resolveUri } from './resolve.js';
import { buildOutgoingRequest, addressFamily } from './outgoing.js';
import { fnv1a, hex8 } from './hash.js';
import { safeCallId } from '../message/log-context.js';
import type { SipServer } from './server.js';

export class StatelessForwarder {
  readonly #server: SipServer;
  constructor(server: SipServer) {
    this.#server = server;
  }

  /** Next hop of a request: dest, else $du, else the R-URI. */
  async nextHop(ctx: RouteContext, dest?: string): Promise<SendTarget> {
    if (dest !== undefined && dest !== '') return resolveDestination(dest);
    const du = ctx.$du;
    return resolveUri(du !== '' ? parseUri(du) : ctx.ruri);
  }

  static branchFor(msg: SipMessage): string {
    const top = msg.topVia;
    const b = top.branch;
    const key =
      b !== undefined && b.startsWith('z9hG4bK')
        ? `${b}|${top.host}|${top.port ?? ''}`
        : `${msg.ruri}|${msg.from.tag ?? ''}|${msg.callId}|${msg.cseq.seq}|${top.host}|${top.port ?? ''}`;
    return `z9hG4bKsl${hex8(fnv1a(key))}${hex8(fnv1a(key, 0x01000193))}`;
  }

  async forwardRequest(ctx: RouteContext, dest?: string): Promise<number> {
    const server = this.#server;
    let target: SendTarget;
    try {
      target = await this.nextHop(ctx, dest);
    } catch (err) {
      if (server.logLimit.allow(server.log, 'warn', 'forward: next hop cannot be resolved')) {
        server.log.warn({ err, callId: safeCallId(ctx.msg), dest }, 'forward: next hop cannot be resolved');
      }
      return -1;
    }
    const socket = server.transport.findSocket(target.proto, addressFamily(target.address));
    if (!socket) {
      if (server.logLimit.allow(server.log, 'warn', 'forward: no listen socket')) {
        server.log.warn({ proto: target.proto, address: target.address }, 'forward: no listen socket for this protocol');
      }
      return -2;
    }
    const out = fromSocket(target, socket);
    const buf = buildOutgoingRequest(server.hooks, ctx, { socket, target: out, branch: StatelessForwarder.branchFor(ctx.msg) });
    try {
      await server.send(out, buf);
    } catch (err) {
      if (server.logLimit.allow(server.log, 'warn', 'forward: send failed')) {
        server.log.warn({ err, callId: safeCallId(ctx.msg), target: `${target.proto}:${target.address}:${target.port}` }, 'forward: send failed');
      }
      return -3;
    }
    server.coreStats.fwd_requests.inc();
    ctx.forwarded = true;
    return 1;
  }

  /** Relays a reply to the previous hop: our Via must be on top; it is popped (RFC 3261 16.7 step 9). */
  async forwardReply(msg: SipMessage, rinfo: ReceiveInfo): Promise<boolean> {
    const server = this.#server;
    const vias = msg.via;
    const top = vias[0];
    const next = vias[1];
    if (top === undefined || !server.isMyself(top.host, top.port ?? (top.transport.toUpperCase() === 'TLS' ? 5061 : 5060))) {
      if (server.logLimit.allow(server.log, 'debug', 'reply whose top Via is not ours'))
        server.log.debug({ callId: safeCallId(msg) }, 'reply whose top Via is not ours: dropped');
      return false;
    }
    if (next === undefined) return false; // a reply to a request we originated, with no transaction left
    let t: ReturnType<typeof responseTarget>;
    try {
      t = responseTarget(next);
    } catch (err) {
      // The previous hop's Via names a transport we do not have (`SIP/2.0/UD`): nowhere to relay it.
      server.coreStats.err_replies.inc();
      if (server.logLimit.allow(server.log, 'debug', 'reply relay failed')) server.log.debug({ err, callId: safeCallId(msg) }, 'reply relay failed: no route back');
      return false;
    }
    const socket = server.transport.findSocket(t.proto, addressFamily(t.address)) ?? rinfo.socket;
    try {
      await server.send(fromSocket(t, socket), msg.edit().popVia().toBuffer());
    } catch (err) {
      if (server.logLimit.allow(server.log, 'warn', 'reply relay failed')) server.log.warn({ err, callId: safeCallId(msg) }, 'reply relay failed');
      return false;
    }
    server.coreStats.fwd_replies.inc();
    return true;
  }
}
