/**
 * What the core offers to modules through `ctx.core`: sending, the hooks tm plugs into, and the routes.
 * Grown by the integration work; modules depend only on what is declared here.
 */
import type { Logger } from 'pino';
import type { ListenSocket, SendTarget, ReceiveInfo } from '../transport/types.js';

export interface CoreTransport {
  /** Bound listen sockets, in declaration order. */
  readonly sockets: readonly ListenSocket[];
  /** Sends raw bytes; rejects when the target cannot be reached (no socket, connect failure). */
  send(target: SendTarget, data: Buffer): Promise<void>;
}

export interface CoreServices {
  readonly log: Logger;
  readonly transport: CoreTransport;
}

export type { ReceiveInfo };
