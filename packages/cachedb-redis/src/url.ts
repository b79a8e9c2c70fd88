/**
 * cachedb_url for cachedb_redis. The grammar is the core's (`parseStorageUrl`); this adds Redis's
 * meaning: a host list is a Redis Cluster seed list, the path is the database number, `rediss` is TLS.
 */
import { errors, maskUrl, parseStorageUrl } from '@core/sip';

export interface RedisNode {
  host: string;
  port: number;
}

/** The parts of an OpenSIPS `cachedb_url`: `redis://[user:pass@]host:port/db`, or a cluster seed list. */
export interface RedisUrl {
  /** One node, or the seed nodes of a Redis Cluster. */
  nodes: RedisNode[];
  /** `host1:port1,host2:port2` in the URL: a Redis Cluster (database 0 only). */
  cluster: boolean;
  /** ACL user; `redis://:pass@…` authenticates the default user with a password only. */
  username: string | undefined;
  password: string | undefined;
  db: number;
  /** `rediss://`: TLS. */
  tls: boolean;
  /** OpenSIPS `redis:<group>://` names a connection; kept for logs. */
  group: string | undefined;
  masked: string;
}

export const REDIS_SCHEMES = ['redis', 'rediss'] as const;
const DEFAULT_PORT = 6379;

export function parseRedisUrl(url: string): RedisUrl {
  const masked = maskUrl(url);
  const u = parseStorageUrl(url);
  if (u.scheme !== 'redis' && u.scheme !== 'rediss') {
    throw errors.dbUrl(masked, `scheme "${u.scheme}" is not served by cachedb_redis (use redis:// or rediss://)`);
  }
  if (u.hosts.length === 0) throw errors.dbUrl(masked, 'no host');
  let db = 0;
  if (u.database !== undefined && u.database !== '') {
    db = Number(u.database);
    if (!/^\d{1,5}$/.test(u.database)) throw errors.dbUrl(masked, `database "${u.database}" is not a number`);
  }
  const param = Object.keys(u.params)[0];
  if (param !== undefined) {
    throw errors.dbUrl(masked, `URL parameter "${param}" is not supported by cachedb_redis (set the cachedb_redis modparams instead)`);
  }
  const nodes = u.hosts.map((h) => ({ host: h.host, port: h.port ?? DEFAULT_PORT }));
  const cluster = nodes.length > 1;
  if (cluster && db !== 0) throw errors.dbUrl(masked, `Redis Cluster has database 0 only, got /${db}`);
  return { nodes, cluster, username: u.user, password: u.password, db, tls: u.scheme === 'rediss', group: u.group, masked };
}
