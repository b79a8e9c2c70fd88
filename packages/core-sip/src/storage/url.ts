/**
 * Storage URLs in the OpenSIPS forms operators already write:
 *   mysql://user:pass@host:port/db            redis://host:6379/0
 *   redis://user:pass@host:6379/2             redis:cluster1://host1:7000,host2:7001/
 *   sqlite:///var/lib/tsips.db                mysql://user:pass@[::1]:3306/opensips?timeout=5
 * In `scheme:group://` the part after the colon names the connection (OpenSIPS's cachedb "group"), so
 * one driver serves several instances. Passwords never leave this file unmasked in messages.
 */
import { errors } from '../errors.js';

export interface StorageHost {
  host: string;
  port?: number;
}

export interface StorageUrl {
  /** Lower-cased driver scheme: `mysql`, `redis`. */
  scheme: string;
  /** Connection name after `scheme:` (`redis:cluster1://…` → `cluster1`). */
  group?: string;
  user?: string;
  password?: string;
  /** The first host; `hosts` has all of them for the multi-host (cluster) form. */
  host?: string;
  port?: number;
  hosts: StorageHost[];
  /** Path after the hosts, without the leading slash: a DB name, a redis DB index, a file path. */
  database?: string;
  params: Record<string, string>;
}

const SCHEME = /^([a-z][a-z0-9+.-]*)(?::([A-Za-z0-9_.-]+))?$/i;

export function parseStorageUrl(url: string): StorageUrl {
  const sep = url.indexOf('://');
  if (sep <= 0) throw errors.dbUrl(maskUrl(url), 'expected scheme://…');
  const m = SCHEME.exec(url.slice(0, sep));
  if (!m) throw errors.dbUrl(maskUrl(url), `bad scheme "${url.slice(0, sep)}"`);
  const scheme = (m[1] ?? '').toLowerCase();
  const group = m[2];

  let rest = url.slice(sep + 3);
  const params: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const k = eq < 0 ? pair : pair.slice(0, eq);
      params[decode(url, k)] = eq < 0 ? '' : decode(url, pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }

  // The authority ends at the first '/'; credentials end at its last '@', so a password may hold '@'
  // (a '/' in a password must be written %2F).
  let user: string | undefined;
  let password: string | undefined;
  const slash = rest.indexOf('/');
  const authEnd = slash < 0 ? rest.length : slash;
  const at = rest.lastIndexOf('@', authEnd);
  if (at >= 0) {
    const cred = rest.slice(0, at);
    const colon = cred.indexOf(':');
    user = decode(url, colon < 0 ? cred : cred.slice(0, colon));
    if (colon >= 0) password = decode(url, cred.slice(colon + 1));
    if (user === '') user = undefined;
  }
  const hostPart = rest.slice(at + 1, authEnd);
  const path = authEnd < rest.length ? rest.slice(authEnd + 1) : '';

  const hosts: StorageHost[] = [];
  if (hostPart !== '') {
    for (const h of hostPart.split(',')) hosts.push(parseHost(url, h));
  }
  const out: StorageUrl = { scheme, hosts, params };
  if (group !== undefined) out.group = group;
  if (user !== undefined) out.user = user;
  if (password !== undefined) out.password = password;
  const first = hosts[0];
  if (first) {
    out.host = first.host;
    if (first.port !== undefined) out.port = first.port;
  }
  if (path !== '') out.database = decode(url, path);
  return out;
}

function parseHost(url: string, h: string): StorageHost {
  let host = h;
  let portText: string | undefined;
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close < 0) throw errors.dbUrl(maskUrl(url), `unclosed IPv6 address in "${h}"`);
    host = h.slice(1, close);
    const after = h.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw errors.dbUrl(maskUrl(url), `bad host "${h}"`);
      portText = after.slice(1);
    }
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0) {
      host = h.slice(0, colon);
      portText = h.slice(colon + 1);
    }
  }
  if (host === '' || /[\s/@]/.test(host)) throw errors.dbUrl(maskUrl(url), `bad host "${h}"`);
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw errors.dbUrl(maskUrl(url), `bad port "${portText}"`);
  }
  return { host, port };
}

function decode(url: string, s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw errors.dbUrl(maskUrl(url), `bad percent-encoding in "${s}"`);
  }
}

/** The URL with its password replaced by `***`, safe for logs and error messages; never throws. */
export function maskUrl(url: string): string {
  const sep = url.indexOf('://');
  if (sep < 0) return url;
  const start = sep + 3;
  const q = url.indexOf('?', start);
  const end = q < 0 ? url.length : q;
  const at = url.lastIndexOf('@', end);
  if (at < start) return url;
  const colon = url.indexOf(':', start);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}
