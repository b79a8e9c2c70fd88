/**
 * Next-hop resolution for stateless forwarding: a SIP URI (or an OpenSIPS `proto:host:port` string) to a
 * transport target. Only A/AAAA lookups here; tm does the full RFC 3263 NAPTR/SRV walk.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipUri } from '../uri/uri.js';
import { parseUri } from '../uri/uri.js';
import type { Proto, SendTarget } from '../transport/types.js';
import { TransportError } from '../transport/errors.js';

export function uriProto(uri: SipUri): Proto {
  const t = uri.transport()?.toLowerCase();
  if (uri.scheme === 'sips' || t === 'tls') return 'tls';
  if (t === 'tcp') return 'tcp';
  return 'udp';
}

export function defaultPort(proto: Proto): number {
  return proto === 'tls' ? 5061 : 5060;
}

async function address(host: string): Promise<string> {
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(h) !== 0) return h;
  // A tel: (or other host-less) URI: dns.lookup('') answers a null address instead of failing (DEP0118).
  if (h === '') throw new TransportError('E_RESOLVE', 'no host to send to');
  const r = await lookup(h);
  return r.address;
}

/** `sip:…` URI → target; maddr wins over the host (RFC 3261 16.5 / 18.1.1). */
export async function resolveUri(uri: SipUri): Promise<SendTarget> {
  const proto = uriProto(uri);
  const maddr = uri.params.get('maddr');
  const host = typeof maddr === 'string' && maddr !== '' ? maddr : uri.host;
  return { proto, address: await address(host), port: uri.port ?? defaultPort(proto) };
}

const PROTO_PREFIX = /^(udp|tcp|tls):/i;

/** `udp:10.0.0.1:5060`, `tcp:host` or a SIP URI. */
export async function resolveDestination(dest: string): Promise<SendTarget> {
  if (PROTO_PREFIX.test(dest)) {
    const proto = dest.slice(0, 3).toLowerCase() as Proto;
    const rest = dest.slice(4);
    let host = rest;
    let port = defaultPort(proto);
    const close = rest.lastIndexOf(']');
    const colon = rest.lastIndexOf(':');
    if (colon > close && (rest.startsWith('[') || rest.indexOf(':') === colon)) {
      host = rest.slice(0, colon);
      port = Number(rest.slice(colon + 1));
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad port in destination "${dest}"`);
    }
    return { proto, address: await address(host), port };
  }
  return resolveUri(parseUri(dest));
}
