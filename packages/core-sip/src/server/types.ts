/**
 * What the core offers to modules through `ctx.core`: sending, the hooks tm plugs into, route contexts
 * and the operator's routes. Modules depend only on what is declared here.
 */
import type { Logger } from 'pino';
import type { ListenSocket, SendTarget, ReceiveInfo, Proto } from '../transport/types.js';
import type { SipMessage } from '../message/message.js';
import type { RouteContext } from '../script/context.js';
import type { RouteHandler, RouteTable } from '../script/routes.js';
import type { RouteType } from '../module/types.js';
import type { CoreStats } from '../stats/core-stats.js';
import type { CoreHooks } from './hooks.js';

export interface CoreTransport {
  /** Bound listen sockets, in declaration order. */
  readonly sockets: readonly ListenSocket[];
  /**
   * Sends raw bytes; rejects when the target cannot be reached (no socket, connect failure). Resolves to the
   * id of the TCP/TLS connection used (the id `hooks.onConnectionClose` reports when it closes), undefined
   * for UDP.
   */
  send(target: SendTarget, data: Buffer): Promise<number | undefined>;
  /**
   * Sends without waiting or reporting (replies, retransmissions, hop-by-hop ACK/CANCEL): over UDP to an IP
   * literal the datagram goes out now with no Promise or callback per datagram; anything else goes through
   * send() and a failure is logged at debug. Use send() when the outcome matters (a branch's first copy).
   */
  post(target: SendTarget, data: Buffer): void;
  findSocket(proto: Proto, family: 4 | 6): ListenSocket | undefined;
}

export interface CoreServices {
  readonly log: Logger;
  readonly transport: CoreTransport;
  readonly hooks: CoreHooks;
  readonly stats: CoreStats;
  /** The operator's routes, for modules that arm them (t_on_failure…). */
  readonly routes: RouteTable;
  /** A route context of this server (module functions bound) for a message. */
  createContext(routeType: RouteType, msg: SipMessage, rinfo: ReceiveInfo): RouteContext;
  /** Runs a route handler, absorbing `exit`/`drop`; resolves to false when the route dropped the message. */
  runRoute(handler: RouteHandler, ctx: RouteContext): Promise<boolean>;
  isMyself(host: string, port?: number): boolean;
  /** Reserves a per-message slot in every route context (rr and tm keep their state there). Init only. */
  registerSlot(): number;
  /** Server header of local replies, false for none. */
  readonly serverHeader: string | false;
  /** The core param `disable_dns_failover`. */
  readonly disableDnsFailover: boolean;
  /**
   * Reports an error caught at a module's boundary (a timer or callback body, a background promise):
   * counted in `core:internal_errors` and logged, rate limited, as "`what` failed" with the message's
   * Call-ID/method/CSeq read safely. Never throws; use it in every catch that cannot rethrow.
   */
  caught(what: string, err: unknown, msg?: SipMessage | null, fields?: Readonly<Record<string, unknown>>): void;
}

export type { ReceiveInfo };
