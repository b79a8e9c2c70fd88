/**
 * Points where modules plug into message processing. tm intercepts replies (they belong to its
 * transactions) and rr adds Record-Route to every outgoing copy of a request, as OpenSIPS lumps do.
 */
import type { SipMessage } from '../message/message.js';
import type { MessageEdit } from '../message/edit.js';
import type { RouteContext } from '../script/context.js';
import type { ConnectionClosed, ListenSocket, ReceiveInfo, SendTarget } from '../transport/types.js';

/** Returns true when the reply was consumed (it matched a transaction), false to let the core relay it. */
export type ReplyInHook = (msg: SipMessage, rinfo: ReceiveInfo) => boolean;

/**
 * A request parsed and validated, before the main route · once per received request (retransmissions
 * included) · true when consumed (the script does not see it). tm uses it to stop retransmitting a local
 * 2xx when its ACK arrives, whatever the script does with the ACK.
 */
export type RequestInHook = (msg: SipMessage, rinfo: ReceiveInfo) => boolean;

/** Where a request copy goes out, given to the hooks that add headers which depend on it (Record-Route). */
export interface OutgoingRequest {
  readonly socket: ListenSocket;
  readonly target: SendTarget;
  readonly edit: MessageEdit;
}
export type RequestOutHook = (ctx: RouteContext, out: OutgoingRequest) => void;

/**
 * A TCP/TLS connection closed (either direction: accepted or opened by us) · once per connection · after it
 * left the connection table, so a send to its id opens a new connection · also for the connections the
 * transport closes when the server stops (modules are stopped first). Not for UDP, which has no connection.
 * tm uses it to fail at once the branches sent on that connection (RFC 3261 16.9 / 17.1.4).
 */
export type ConnectionCloseHook = (closed: ConnectionClosed) => void;

/**
 * The request route finished with a request (OpenSIPS POST_SCRIPT_CB | REQ_TYPE_CB) · once per received
 * request that ran the request route, whatever its outcome (relayed, replied, dropped, exit, script error) ·
 * after the route's promise settled, so what the script started and awaited is done. dialog uses it to drop a
 * dialog whose INVITE never got a transaction.
 */
export type RequestDoneHook = (ctx: RouteContext) => void;

export class CoreHooks {
  readonly replyIn: ReplyInHook[] = [];
  readonly requestIn: RequestInHook[] = [];
  readonly requestOut: RequestOutHook[] = [];
  readonly connectionClose: ConnectionCloseHook[] = [];
  readonly requestDone: RequestDoneHook[] = [];

  onReplyIn(h: ReplyInHook): void {
    this.replyIn.push(h);
  }
  onRequestIn(h: RequestInHook): void {
    this.requestIn.push(h);
  }
  onRequestOut(h: RequestOutHook): void {
    this.requestOut.push(h);
  }
  /** See ConnectionCloseHook. Errors a handler throws are logged; the other handlers still run. */
  onConnectionClose(h: ConnectionCloseHook): void {
    this.connectionClose.push(h);
  }
  /** See RequestDoneHook. Errors a handler throws are logged; the other handlers still run. */
  onRequestDone(h: RequestDoneHook): void {
    this.requestDone.push(h);
  }
}
