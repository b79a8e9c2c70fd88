/**
 * Builds the copy of a request that goes out on one branch: the script's header changes, the branch's
 * R-URI, what the modules add per outgoing socket (Record-Route), and our Via on top.
 */
import { isIP } from 'node:net';
import type { RouteContext } from '../script/context.js';
import { applyHeaderOps } from '../script/header-ops.js';
import type { ListenSocket, Proto, SendTarget } from '../transport/types.js';
import type { CoreHooks } from './hooks.js';

const VIA_PROTO: Record<Proto, string> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS' };

/** `SIP/2.0/UDP host:port;branch=…;rport` for a socket (RFC 3261 18.1.1, RFC 3581 rport). */
export function viaFor(socket: ListenSocket, branch: string): string {
  const h = socket.advertisedAddress;
  const host = isIP(h) === 6 && !h.startsWith('[') ? `[${h}]` : h;
  return `SIP/2.0/${VIA_PROTO[socket.proto]} ${host}:${socket.advertisedPort};branch=${branch};rport`;
}

export interface OutgoingOptions {
  /** R-URI of this branch; the context's $ru when omitted. */
  ruri?: string;
  socket: ListenSocket;
  target: SendTarget;
  branch: string;
}

export function buildOutgoingRequest(hooks: CoreHooks, ctx: RouteContext, o: OutgoingOptions): Buffer {
  const edit = ctx.msg.edit();
  const ruri = o.ruri ?? (ctx.ruriChanged ? ctx.$ru : undefined);
  if (ruri !== undefined && ruri !== ctx.msg.ruri) edit.setRuri(ruri);
  applyHeaderOps(edit, ctx.ops);
  const out = { socket: o.socket, target: o.target, edit };
  for (const h of hooks.requestOut) h(ctx, out);
  edit.pushVia(viaFor(o.socket, o.branch));
  return edit.toBuffer();
}

export function addressFamily(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}
