/** Small address helpers shared by the transport files (no allocation when nothing changes). */
import { isIP } from 'node:net';

/** `[::1]` → `::1`; anything else unchanged. Via hosts and URIs carry IPv6 in brackets, sockets want it bare. */
export function bareHost(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host;
}

/** `host:port`, with IPv6 in brackets (socket names, table keys, logs). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A dual-stack socket reports IPv4 peers as `::ffff:192.0.2.1`; SIP compares and stores them as plain IPv4,
 * so Via `received` and connection lookups by address agree.
 */
export function normalizeRemote(address: string): string {
  if (address.length > 7 && address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  return address;
}

/** 4 or 6 for an IP literal, 0 for a hostname. */
export function ipFamily(address: string): 0 | 4 | 6 {
  const f = isIP(address);
  return f === 4 || f === 6 ? f : 0;
}

/** Default SIP port per transport (RFC 3261 19.1.2). */
export function defaultPort(proto: 'udp' | 'tcp' | 'tls'): number {
  return proto === 'tls' ? 5061 : 5060;
}
