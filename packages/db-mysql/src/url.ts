import { errors } from './errors.js';

/** The parts of an OpenSIPS `db_url`: `mysql://user:pass@host:port/db`. */
export interface MysqlUrl {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string;
  /** The URL with the password replaced by `***`, for logs and errors. */
  masked: string;
}

export const MYSQL_SCHEMES = ['mysql'] as const;
const DEFAULT_PORT = 3306;

/** Masks the password of any `scheme://user:pass@…` URL, even a malformed one. */
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
    return part; // a literal '%' in a password is common enough to accept as written
  }
}

/**
 * Parses a db_url the way OpenSIPS operators write it. User and password may be %-encoded; the last
 * `@` ends the credentials, so a password may hold `@`, `:` or `/`. IPv6 hosts go in brackets.
 */
export function parseMysqlUrl(url: string): MysqlUrl {
  const masked = maskUrl(url);
  const sep = url.indexOf('://');
  if (sep < 0) throw errors.url(masked, 'expected mysql://user:password@host:port/database');
  const scheme = url.slice(0, sep).toLowerCase();
  if (scheme !== 'mysql') throw errors.url(masked, `scheme "${scheme}" is not served by db_mysql (use mysql://)`);
  const rest = url.slice(sep + 3);
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;

  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    password = colon >= 0 ? decode(userinfo.slice(colon + 1)) : undefined;
    if (user === '') throw errors.url(masked, 'empty user name before "@"');
  }

  const slash = hostPart.indexOf('/');
  if (slash < 0) throw errors.url(masked, 'no database name (expected …@host:port/database)');
  const hostPort = hostPart.slice(0, slash);
  const database = hostPart.slice(slash + 1);
  if (database === '') throw errors.url(masked, 'no database name (expected …@host:port/database)');
  if (database.includes('?') || database.includes('/')) {
    throw errors.url(masked, `database name "${database}" holds "?" or "/" (URL parameters are not supported)`);
  }

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw errors.url(masked, 'unterminated IPv6 address');
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw errors.url(masked, `unexpected "${after}" after the IPv6 address`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    portText = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
  }
  if (host === '') throw errors.url(masked, 'no host');
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw errors.url(masked, `port "${portText}" is not a number from 1 to 65535`);
    }
  }
  return { host, port, user, password, database, masked };
}
