/**
 * RFC 3263 server location for stateful relaying: NAPTR → SRV → A/AAAA, built step by step as the
 * transaction needs the next destination (on a send failure, a timeout or a 503, OpenSIPS DNS failover).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Proto, SendTarget, SipUri } from '@core/sip';

/** The part of node:dns `Resolver` used here; tests may inject their own. */
export interface DnsResolver {
  resolveNaptr(host: string): Promise<{ flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }[]>;
  resolveSrv(name: string): Promise<{ priority: number; weight: number; port: number; name: string }[]>;
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
}

interface HostPort {
  host: string;
  port: number;
  proto: Proto;
}

const SRV_PREFIX: Record<Proto, string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };
const NAPTR_SERVICE: Record<string, Proto> = { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls' };
const defaultPort = (p: Proto): number => (p === 'tls' ? 5061 : 5060);

async function quiet<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch {
    return []; // NXDOMAIN, no data, timeout: this step yields nothing, the next one is tried
  }
}

/** RFC 2782: by priority, then a weighted random order inside a priority. */
function orderSrv<T extends { priority: number; weight: number }>(recs: T[]): T[] {
  const byPrio = [...recs].sort((a, b) => a.priority - b.priority);
  const out: T[] = [];
  let i = 0;
  while (i < byPrio.length) {
    const group: T[] = [];
    const p = (byPrio[i] as T).priority;
    while (i < byPrio.length && (byPrio[i] as T).priority === p) group.push(byPrio[i++] as T);
    while (group.length > 0) {
      const total = group.reduce((s, r) => s + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        let x = Math.random() * total;
        pick = group.findIndex((r) => (x -= r.weight) < 0);
        if (pick < 0) pick = group.length - 1;
      }
      out.push(group.splice(pick, 1)[0] as T);
    }
  }
  return out;
}

/** The destinations of one request, resolved on demand. */
export class DnsCursor {
  readonly #addrs: SendTarget[] = [];
  readonly #hosts: HostPort[];
  readonly #r: DnsResolver;
  readonly #seen = new Set<string>();

  constructor(hosts: HostPort[], r: DnsResolver) {
    this.#hosts = hosts;
    this.#r = r;
  }

  /** The next destination, undefined when there is none left. */
  async next(): Promise<SendTarget | undefined> {
    while (this.#addrs.length === 0 && this.#hosts.length > 0) {
      const h = this.#hosts.shift() as HostPort;
      for (const a of await addresses(this.#r, h.host)) {
        const key = `${h.proto}:${a}:${h.port}`;
        if (this.#seen.has(key)) continue;
        this.#seen.add(key);
        this.#addrs.push({ proto: h.proto, address: a, port: h.port });
      }
    }
    return this.#addrs.shift();
  }
}

async function addresses(r: DnsResolver, host: string): Promise<string[]> {
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(h) !== 0) return [h];
  const [v4, v6] = await Promise.all([quiet(r.resolve4(h)), quiet(r.resolve6(h))]);
  if (v4.length + v6.length > 0) return [...v4, ...v6];
  try {
    // Names only the system knows (/etc/hosts: localhost…).
    return (await lookup(h, { all: true })).map((x) => x.address);
  } catch {
    return [];
  }
}

/**
 * RFC 3263 4.2 for a URI whose host (or maddr) is an IP literal: its one destination, known without any
 * lookup; undefined for a name. There is no other address to fail over to, so callers need no cursor.
 */
export function literalTarget(uri: SipUri): SendTarget | undefined {
  const maddr = uri.params.get('maddr');
  const host = typeof maddr === 'string' && maddr !== '' ? maddr : uri.host;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare) === 0) return undefined;
  const t = uri.scheme === 'sips' ? 'tls' : uri.transport()?.toLowerCase();
  const proto: Proto = t === 'tls' ? 'tls' : t === 'tcp' ? 'tcp' : 'udp';
  return { proto, address: bare, port: uri.port ?? defaultPort(proto) };
}

/**
 * RFC 3263 4.1/4.2: an IP or an explicit port → A/AAAA only; a transport parameter → its SRV; otherwise
 * NAPTR, then SRV for each transport, then A/AAAA on the default port.
 */
export async function locate(uri: SipUri, r: DnsResolver): Promise<DnsCursor> {
  const sips = uri.scheme === 'sips';
  const maddr = uri.params.get('maddr');
  const host = typeof maddr === 'string' && maddr !== '' ? maddr : uri.host;
  const t = uri.transport()?.toLowerCase();
  const explicit: Proto | undefined = sips || t === 'tls' ? 'tls' : t === 'tcp' ? 'tcp' : t === 'udp' ? 'udp' : undefined;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0 || uri.port !== undefined) {
    const proto = explicit ?? 'udp';
    return new DnsCursor([{ host: bare, port: uri.port ?? defaultPort(proto), proto }], r);
  }
  if (explicit !== undefined) {
    const srv = orderSrv(await quiet(r.resolveSrv(SRV_PREFIX[explicit] + host)));
    const hosts = srv.map((s) => ({ host: s.name, port: s.port, proto: explicit }));
    if (hosts.length === 0) hosts.push({ host, port: defaultPort(explicit), proto: explicit });
    return new DnsCursor(hosts, r);
  }
  const hosts: HostPort[] = [];
  const naptr = (await quiet(r.resolveNaptr(host)))
    .filter((n) => n.flags.toLowerCase() === 's' && NAPTR_SERVICE[n.service.toUpperCase()] !== undefined)
    .filter((n) => !sips || n.service.toUpperCase() === 'SIPS+D2T')
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  for (const n of naptr) {
    const proto = NAPTR_SERVICE[n.service.toUpperCase()] as Proto;
    for (const s of orderSrv(await quiet(r.resolveSrv(n.replacement)))) hosts.push({ host: s.name, port: s.port, proto });
  }
  if (hosts.length === 0) {
    for (const proto of sips ? (['tls'] as const) : (['udp', 'tcp', 'tls'] as const)) {
      for (const s of orderSrv(await quiet(r.resolveSrv(SRV_PREFIX[proto] + host)))) hosts.push({ host: s.name, port: s.port, proto });
    }
  }
  if (hosts.length === 0) hosts.push({ host, port: defaultPort(sips ? 'tls' : 'udp'), proto: sips ? 'tls' : 'udp' });
  return new DnsCursor(hosts, r);
}
