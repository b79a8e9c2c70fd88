/**
 * Record-Route values (RFC 3261 16.6 step 4): the address of the socket facing each side, `lr`, the
 * From tag and the script's params. With a different outgoing socket two are added (double RR), so each
 * side routes to the interface it can reach.
 */
import { isIP } from 'node:net';
import type { ListenSocket } from '@core/sip';

export function rrUri(host: string, port: number, proto: string, params: string): string {
  const h = isIP(host) === 6 && !host.startsWith('[') ? `[${host}]` : host;
  const transport = proto === 'udp' ? '' : `;transport=${proto}`;
  const scheme = proto === 'tls' ? 'sips' : 'sip';
  return `<${scheme}:${h}:${port}${transport};lr${params}>`;
}

export function rrForSocket(s: ListenSocket, params: string): string {
  return rrUri(s.advertisedAddress, s.advertisedPort, s.proto, params);
}

/** `host:port` or `host` from record_route_preset. */
export function rrPreset(addr: string, proto: string, params: string): string {
  const close = addr.lastIndexOf(']');
  const colon = addr.lastIndexOf(':');
  if (colon > close && addr.indexOf(':') === colon) return rrUri(addr.slice(0, colon), Number(addr.slice(colon + 1)), proto, params);
  return rrUri(addr, proto === 'tls' ? 5061 : 5060, proto, params);
}
