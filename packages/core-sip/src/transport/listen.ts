/**
 * Parses OpenSIPS-style listen declarations:
 * `udp:127.0.0.1:5060`, `tls:[::1]`, `127.0.0.1:5060` (udp), `udp:10.0.0.1:5060 as 203.0.113.7:5080`.
 * Runs once at startup, so clarity beats speed here.
 */
import { isIP } from 'node:net';
import type { ListenSocket, ListenSpec, Proto } from './types.js';
import { TransportError } from './errors.js';
import { defaultPort, hostPort } from './address.js';

const PROTOS: readonly Proto[] = ['udp', 'tcp', 'tls'];
/** RFC 1123 host names: letters, digits, hyphens and dots. */
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

interface HostPort {
  host: string;
  port: number | undefined;
}

export function parseListen(spec: string): ListenSpec {
  const fail = (what: string): never => {
    throw new TransportError('E_LISTEN', `${JSON.stringify(spec)}: ${what}`);
  };
  const text = spec.trim();
  if (text === '') fail('empty listen declaration');

  // `<socket> as <advertised>`
  const parts = text.split(/\s+as(?:\s+|$)/i);
  if (parts.length > 2) fail('"as" given more than once');
  const main = parts[0] ?? '';
  const advertised = parts[1];
  if (main === '') fail('missing socket before "as"');

  let proto: Proto = 'udp';
  let rest = main;
  const colon = main.indexOf(':');
  if (colon > 0 && /^[A-Za-z]+$/.test(main.slice(0, colon))) {
    const word = main.slice(0, colon);
    const after = main.slice(colon + 1);
    // `localhost:5060` is host:port, `ws:1.2.3.4` is an (unsupported) protocol.
    if (!/^\d+$/.test(after)) {
      const lower = word.toLowerCase();
      if (!(PROTOS as readonly string[]).includes(lower)) fail(`unsupported protocol "${word}" (udp, tcp or tls)`);
      proto = lower as Proto;
      rest = after;
    }
  }

  const bound = parseHostPort(rest, fail, 'address');
  const out: ListenSpec = { proto, address: bound.host, port: bound.port ?? defaultPort(proto) };
  if (advertised !== undefined) {
    if (advertised.trim() === '') fail('missing address after "as"');
    const adv = parseHostPort(advertised.trim(), fail, 'advertised address');
    out.advertisedAddress = adv.host;
    if (adv.port !== undefined) out.advertisedPort = adv.port;
  }
  return out;
}

function parseHostPort(text: string, fail: (what: string) => never, label: string): HostPort {
  if (text === '') return fail(`missing ${label}`);
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail(`unclosed "[" in ${label}`);
    host = text.slice(1, close);
    const tail = text.slice(close + 1);
    if (tail !== '') {
      if (!tail.startsWith(':')) return fail(`unexpected "${tail}" after ${label}`);
      portText = tail.slice(1);
    }
    if (isIP(host) !== 6) return fail(`"${host}" is not an IPv6 address`);
  } else if (isIP(text) === 6) {
    // Unbracketed IPv6 cannot carry a port, but a bare one is unambiguous.
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(':')) return fail(`IPv6 ${label} with a port must be in brackets`);
    } else {
      host = text;
    }
    if (host === '') return fail(`missing ${label}`);
    if (isIP(host) === 0 && (/^[\d.]+$/.test(host) || !HOSTNAME.test(host))) {
      return fail(`invalid ${label} "${host}"`);
    }
  }
  return { host, port: portText === undefined ? undefined : parsePort(portText, fail) };
}

function parsePort(text: string, fail: (what: string) => never): number {
  if (text === '') return fail('missing port after ":"');
  if (!/^\d+$/.test(text)) return fail(`invalid port "${text}"`);
  const port = Number(text);
  if (port > 65535) return fail('port out of range');
  return port;
}

/** The ListenSocket for a bound socket: real port, advertised values defaulting to the bound ones. */
export function boundSocket(spec: ListenSpec, address: string, port: number, family: 4 | 6): ListenSocket {
  return Object.freeze({
    proto: spec.proto,
    address,
    port,
    advertisedAddress: spec.advertisedAddress ?? address,
    advertisedPort: spec.advertisedPort ?? port,
    name: `${spec.proto}:${hostPort(address, port)}`,
    family,
  });
}
