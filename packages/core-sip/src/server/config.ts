/** The operator's configuration: what an opensips.cfg holds, as a typed object. */
import type { DestinationStream } from 'pino';
import type { AnyModule, ModuleParamsMap } from '../module/types.js';
import type { RouteTable } from '../script/routes.js';
import type { ListenSpec, TlsOptions, TransportLimits } from '../transport/types.js';
import type { ParseLimits } from '../message/limits.js';

export type ModParams = { [K in keyof ModuleParamsMap]?: ModuleParamsMap[K] } & Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface MiHttpConfig {
  /** Default 127.0.0.1. Any other address needs a token. */
  host?: string;
  /** Default 8888; 0 picks a free port. */
  port?: number;
  /** Bearer token required on every request when set. */
  token?: string;
}

export interface ServerConfig {
  /** Listen sockets, OpenSIPS style: `udp:127.0.0.1:5060`, `tcp:0.0.0.0:5060 as 203.0.113.7`. */
  listen: readonly (string | ListenSpec)[];
  /** Modules to load (`loadmodule`), in any order: the loader sorts them by dependency. */
  modules?: readonly AnyModule[];
  /** `modparam(module, name, value)`, keyed by module name and OpenSIPS param name. */
  modparams?: ModParams;
  routes: RouteTable;
  /** Other names of this server (`alias=`), checked by `myself`. */
  aliases?: readonly string[];
  /** Named message flags, mapped to bits in order (OpenSIPS 3 named flags). */
  flags?: readonly string[];
  /** HTTP MI and /metrics; `false` disables it. */
  mi?: MiHttpConfig | false;
  tls?: TlsOptions;
  /** Log level (pino names or OpenSIPS numbers; MI `log_level` changes it at run time) and where lines go (stdout by default). */
  log?: { level?: string; destination?: DestinationStream };
  /** Parser limits. */
  limits?: Partial<ParseLimits> & Partial<TransportLimits>;
  /** `server_header` on locally generated replies; `false` for none. */
  serverHeader?: string | false;
  /** How long a module's init may take, ms. */
  initTimeoutMs?: number;
  /** How long a module's stop may take, ms (default 10 s; a module may ask for its own, see stopTimeoutMs). */
  stopTimeoutMs?: number;
}

/** Identity function that types a config file (`export default defineConfig({...})`). */
export function defineConfig(config: ServerConfig): ServerConfig {
  return config;
}
