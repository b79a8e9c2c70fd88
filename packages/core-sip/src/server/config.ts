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
  /**
   * Log level (pino names or OpenSIPS numbers; MI `log_level` changes it at run time), where lines go
   * (stdout by default), their format: `json`, `pretty` (readable lines) or `auto` (the default:
   * pretty on a terminal, JSON otherwise; `TSIPS_LOG_FORMAT` sets the default), and how many lines a second
   * each kind of peer-triggered line may write (malformed messages, replies that cannot be sent, caught
   * errors; default 10, the rest summarised).
   */
  log?: { level?: string; format?: 'auto' | 'pretty' | 'json'; destination?: DestinationStream; linesPerSecond?: number };
  /** Parser limits. */
  limits?: Partial<ParseLimits> & Partial<TransportLimits>;
  /** `server_header` on locally generated replies; `false` for none. */
  serverHeader?: string | false;
  /** How long a module's init may take, ms. */
  initTimeoutMs?: number;
  /**
   * `dst_blacklist`: named lists of destinations (`[proto:]ip[/prefix][:port]`) a request may not be sent
   * to once the script called `use_blacklist(name)` for it (t_relay returns -5).
   */
  dst_blacklist?: Readonly<Record<string, readonly string[]>>;
  /** `disable_dns_failover`: use only the first address a destination resolves to (OpenSIPS core param). */
  disable_dns_failover?: boolean;
  /** How long a module's stop may take, ms (default 10 s; a module may ask for its own, see stopTimeoutMs). */
  stopTimeoutMs?: number;
}

/** Identity function that types a config file (`export default defineConfig({...})`). */
export function defineConfig(config: ServerConfig): ServerConfig {
  return config;
}
