/** What the route context needs from the server; implemented by the server, kept narrow for tests. */
import type { Logger } from 'pino';
import type { SipUri } from '../uri/uri.js';
import type { RouteContext } from './context.js';
import type { Blacklists } from '../server/blacklist.js';

export interface ScriptHost {
  readonly scriptLog: Logger;
  newSlots(): unknown[];
  flagMask(flag: number | string): number;
  runNamedRoute(name: string, ctx: RouteContext): void | Promise<void>;
  slReply(ctx: RouteContext, code: number, reason?: string, headers?: readonly [string, string][]): number;
  forward(ctx: RouteContext, dest?: string): Promise<number>;
  isMyself(host: string, port?: number): boolean;
  rewriteUri(uri: SipUri, change: { user?: string; host?: string; port?: number | undefined }): string;
  readonly blacklists: Blacklists;
}
