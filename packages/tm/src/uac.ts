/**
 * Requests the server originates (t_uac, the API's `request()`): a local transaction with one branch,
 * retransmissions and timers like any client transaction, the ACK of a non-2xx sent by tm, the ACK of a
 * 2xx by the caller (`sendAck`, RFC 3261 13.2.2.4), and CANCEL.
 */
import {
  addressFamily,
  buildOutgoingRequest,
  buildRequest,
  generateBranch,
  generateCallId,
  generateTag,
  parseMessage,
  parseUri,
  viaFor,
  type ListenSocket,
  type ReceiveInfo,
  type RouteContext,
  type RouteHandler,
  type SipMessage,
  type SipUri,
} from '@core/sip';
import type { UacCallbacks, UacHandle, UacOutcome, UacRequest } from './api.js';
import type { Tm } from './tm.js';
import type { Cell, LocalSide } from './transaction/cell.js';
import type { BranchBuilder } from './transaction/branch.js';
import { locate, type DnsCursor } from './dns-failover.js';
import { startBranch } from './relay.js';
import { deliver } from './reply-in.js';
import { cancelInvite } from './cancel.js';

/** `<sip:x;lr>` or `sip:x;lr` → the URI. */
function routeUri(r: string): string {
  const s = r.trim();
  const lt = s.indexOf('<');
  return lt < 0 ? s : s.slice(lt + 1, s.indexOf('>', lt));
}

function hasTag(v: string): boolean {
  const gt = v.lastIndexOf('>');
  return /;\s*tag=/i.test(gt < 0 ? v : v.slice(gt));
}

export function uacRequest(tm: Tm, req: UacRequest, cb?: UacCallbacks): UacHandle {
  const local: LocalSide = { cb, resolve: () => undefined, done: false, ack: null };
  const done = new Promise<UacOutcome>((res) => {
    local.resolve = res;
  });
  const from = hasTag(req.from) ? req.from : `${req.from};tag=${generateTag()}`;
  const opts = {
    method: req.method,
    ruri: req.ruri,
    from,
    to: req.to,
    callId: req.callId ?? generateCallId(),
    cseq: req.cseq ?? 1,
    contact: req.contact,
    routes: req.routes,
    headers: req.headers,
    body: req.body,
    contentType: req.contentType,
  };
  // The template (no Via yet: the socket is known once the destination is); replaced by the copy sent.
  const template = parseMessage(buildRequest({ ...opts, via: [] }));
  const cell = tm.newCell(req.method, template, null, null, local, null);
  tm.stats.uac.inc();
  const handle: UacHandle = { transaction: cell, done, cancel: () => cancelInvite(tm, cell) };
  send(tm, cell, req, (socket, t, id) => buildRequest({ ...opts, via: [viaFor(socket, id)] })).catch((err: unknown) => {
    tm.log.warn({ err, method: req.method, ruri: req.ruri }, 'UAC request failed');
    try {
      deliver(tm, cell, 503, undefined);
    } catch (e) {
      tm.core.caught('UAC outcome', e, cell.request, { t: cell.id });
    }
  });
  return handle;
}

async function send(tm: Tm, cell: Cell, req: UacRequest, build: BranchBuilder): Promise<void> {
  const first = req.routes?.[0];
  const hop: SipUri = parseUri(req.dstUri ?? (first !== undefined ? routeUri(first) : req.ruri));
  const cursor: DnsCursor = await locate(hop, tm.resolver);
  const target = await cursor.next();
  if (target === undefined) {
    deliver(tm, cell, 503, undefined);
    return;
  }
  const wanted = req.socket !== undefined ? tm.core.transport.sockets.find((s) => s.name === req.socket) : undefined;
  let b: BranchBuilder = wanted === undefined ? build : (_s, t, id) => build(wanted, { ...t, socket: wanted }, id);
  const lroute = tm.core.routes.local_route;
  if (lroute !== undefined) {
    const socket = wanted ?? tm.core.transport.findSocket(target.proto, addressFamily(target.address));
    if (socket !== undefined) {
      const lctx = await runLocalRoute(tm, cell, lroute, socket);
      if (lctx === null) {
        deliver(tm, cell, 503, undefined); // drop(): the request is not sent
        return;
      }
      // The copy goes out as the core builds any request: the route's header changes, then our Via.
      if (lctx.ops.length > 0 || lctx.ruriChanged) b = (s, t, id) => buildOutgoingRequest(tm.core.hooks, lctx, { socket: wanted ?? s, target: t, branch: id });
    }
  }
  const rc = await startBranch(
    tm,
    cell,
    { uri: req.ruri, dstUri: req.dstUri ?? '', flags: 0, minor: false, build: b, dests: tm.cfg.noDnsFailover ? null : cursor },
    wanted ? { ...target, socket: wanted } : target,
  );
  const br = cell.branches[0];
  if (br !== undefined) cell.request = br.sent(parseMessage);
  if (rc < 0) deliver(tm, cell, 503, undefined);
}

/**
 * local_route: the operator's route for requests tm originates, run once per request before it is sent,
 * with routeType 'local'. Header changes (append_hf, remove_hf…) apply to the copy sent; drop() stops the
 * request (the caller sees 503). Returns the context, or null when dropped.
 */
async function runLocalRoute(tm: Tm, cell: Cell, route: RouteHandler, socket: ListenSocket): Promise<RouteContext | null> {
  const rinfo: ReceiveInfo = { proto: socket.proto, srcAddress: socket.address, srcPort: socket.port, socket };
  const lctx = tm.core.createContext('local', cell.request, rinfo);
  tm.state(lctx).cell = cell;
  cell.refs++;
  try {
    return (await tm.core.runRoute(route, lctx)) ? lctx : null;
  } finally {
    cell.refs--;
  }
}

/** ACK for a 2xx to a local INVITE: to the Contact through the route set, resent on 2xx retransmissions. */
export async function uacSendAck(tm: Tm, cell: Cell, ok: SipMessage, o: { routes?: readonly string[]; body?: Buffer; contentType?: string } = {}): Promise<void> {
  const local = cell.local;
  if (local === null) throw new Error('sendAck: not a local transaction');
  const inv = cell.request;
  const ruri = ok.contacts[0]?.uri.toString() ?? inv.ruri;
  const routes = o.routes ?? [];
  const first = routes[0];
  const cursor = await locate(parseUri(first !== undefined ? routeUri(first) : ruri), tm.resolver);
  const target = await cursor.next();
  if (target === undefined) throw new Error(`sendAck: cannot resolve ${ruri}`);
  const socket: ListenSocket | undefined = tm.core.transport.findSocket(target.proto, addressFamily(target.address));
  if (socket === undefined) throw new Error(`sendAck: no ${target.proto} socket`);
  const buf = buildRequest({
    method: 'ACK',
    ruri,
    via: [viaFor(socket, generateBranch())],
    from: inv.header('From') ?? '',
    to: ok.header('To') ?? '',
    callId: inv.callId,
    cseq: inv.cseq.seq,
    routes,
    body: o.body,
    contentType: o.contentType,
  });
  const t = { ...target, socket };
  local.ack = { buf, target: t };
  await tm.core.transport.send(t, buf);
}
