import { errors } from './errors.js';

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
  username: string | undefined;
  password: string | undefined;
  db: number;
  /** `rediss://`: TLS. */
  tls: boolean;
  /** OpenSIPS `redis:<group>://` names a connection group; kept for logs. */
  group: string | undefined;
  masked: string;
}

export const REDIS_SCHEMES = ['redis', 'rediss'] as const;
const DEFAULT_PORT = 6379;

export function maskUrl(url: string): string {
  const start = url.indexOf('://');
  if (start < 0) return url;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const colon = url.indexOf(':', start + 3);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function parseNode(text: string, masked: string): RedisNode {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw errors.url(masked, 'unterminated IPv6 address');
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw errors.url(masked, `unexpected "${after}" after the IPv6 address`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  if (host === '') throw errors.url(masked, 'no host');
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw errors.url(masked, `port "${portText}" is not a number from 1 to 65535`);
  }
  return { host, port };
}

/**
 * Parses a cachedb_url. Credentials end at the last `@` and may be %-encoded; `:pass@` alone is a
 * password for the default user (Redis AUTH), `user:pass@` an ACL user. A comma-separated host list
 * is a Redis Cluster seed list.
 */
export function parseRedisUrl(url: string): RedisUrl {
  const masked = maskUrl(url);
  const sep = url.indexOf('://');
  if (sep < 0) throw errors.url(masked, 'expected redis://[user:password@]host:port/db');
  let scheme = url.slice(0, sep).toLowerCase();
  let group: string | undefined;
  const groupSep = scheme.indexOf(':');
  if (groupSep >= 0) {
    group = scheme.slice(groupSep + 1);
    scheme = scheme.slice(0, groupSep);
  }
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw errors.url(masked, `scheme "${scheme}" is not served by cachedb_redis (use redis:// or rediss://)`);
  }
  const rest = url.slice(sep + 3);
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;

  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    username = user === '' ? undefined : user;
    password = colon >= 0 ? decode(userinfo.slice(colon + 1)) : undefined;
  }

  const slash = hostPart.indexOf('/');
  const hosts = slash >= 0 ? hostPart.slice(0, slash) : hostPart;
  const dbText = slash >= 0 ? hostPart.slice(slash + 1) : '';
  let db = 0;
  if (dbText !== '') {
    db = Number(dbText);
    if (!Number.isInteger(db) || db < 0 || db > 65535) throw errors.url(masked, `database "${dbText}" is not a number`);
  }
  const nodes = hosts.split(',').map((h) => parseNode(h, masked));
  const cluster = nodes.length > 1;
  if (cluster && db !== 0) throw errors.url(masked, `Redis Cluster has database 0 only, got /${db}`);
  return { nodes, cluster, username, password, db, tls: scheme === 'rediss', group, masked };
}
