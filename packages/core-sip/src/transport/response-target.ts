/**
 * Where a response goes (RFC 3261 18.2.2 with RFC 3581 rport), and which `received`/`rport` values a server
 * sets on the top Via of a request it receives (RFC 3261 18.2.1, RFC 3581 4).
 * Works on the already-parsed top Via, so it does not depend on the message layer.
 */
import type { ListenSocket, Proto, ReceiveInfo, SendTarget } from './types.js';
import { TransportError } from './errors.js';
import { bareHost, defaultPort } from './address.js';

/** The top Via fields this file needs. */
export interface ViaInfo {
  /** Transport token of the Via (`UDP`, `TCP`, `TLS`), any case. */
  transport: string;
  /** sent-by host; IPv6 may be bracketed. */
  host: string;
  /** sent-by port, when given. */
  port?: number;
  received?: string;
  /** RFC 3581: undefined = absent, null = present without value, number = filled in. */
  rport?: number | null;
  maddr?: string;
}

export interface ResponseTarget {
  proto: Proto;
  address: string;
  port: number;
  /** The connection the request came on: send() reuses it while open, else falls back to address/port. */
  connId?: number;
}

/**
 * A send target leaving from `socket`. Always the same object shape (every field set), unlike a spread plus
 * a property, which costs a map transition per call on the hot path.
 */
export function fromSocket<S extends ListenSocket | undefined>(t: ResponseTarget | SendTarget, socket: S): SendTarget & { socket: S } {
  return { proto: t.proto, address: t.address, port: t.port, connId: t.connId, socket };
}

export function viaProto(transport: string): Proto {
  const t = transport.toLowerCase();
  if (t === 'udp' || t === 'tcp' || t === 'tls') return t;
  throw new TransportError('E_VIA_TRANSPORT', `unsupported Via transport "${transport}"`);
}

/**
 * RFC 3261 18.2.2, in order:
 * 1. reliable transport: the connection the request arrived on (connId); if it is gone, received (or sent-by)
 *    at the sent-by port;
 * 2. maddr: the maddr address at the sent-by port, default 5060;
 * 3. received (or rport, RFC 3581): the received address (the source address when only rport is there) at the
 *    rport value, else the request's source port when rport has no value, else the sent-by port; with `rinfo`,
 *    a sent-by that is not the source address counts as received (the Via our 18.2.1 rewrite would give);
 * 4. otherwise sent-by host and port.
 */
export function responseTarget(via: ViaInfo, rinfo?: ReceiveInfo): ResponseTarget {
  const proto = viaProto(via.transport);
  const sentByPort = via.port ?? defaultPort(proto);

  if (proto !== 'udp') {
    // A `received` the client wrote itself is not trusted: with the arrival known, the source address is the truth.
    const address = rinfo !== undefined && rinfo.proto === proto ? rinfo.srcAddress : bareHost(via.received ?? via.host);
    // 18.2.2: a new connection goes to the sent-by port; the peer's ephemeral source port is not listening.
    const out: ResponseTarget = { proto, address, port: sentByPort };
    if (rinfo?.connId !== undefined && rinfo.proto === proto) out.connId = rinfo.connId;
    return out;
  }

  if (via.maddr !== undefined) {
    return { proto, address: bareHost(via.maddr), port: via.port ?? 5060 };
  }

  // With the request's arrival known (rinfo), a sent-by that is not the source address gets `received`
  // (18.2.1, receivedParams) even when the caller passes the Via as it arrived: the reply goes there too.
  if (via.received !== undefined || via.rport !== undefined || (rinfo !== undefined && !sameAddress(bareHost(via.host), rinfo.srcAddress))) {
    // With rinfo the source address, never a `received` in the Via as it arrived: a client could name a
    // third party there and have our replies sent to it (reflection).
    const address = rinfo !== undefined ? rinfo.srcAddress : bareHost(via.received ?? via.host);
    let port: number;
    if (typeof via.rport === 'number') port = via.rport;
    else if (via.rport === null && rinfo !== undefined) port = rinfo.srcPort;
    else port = sentByPort;
    return { proto, address, port };
  }

  return { proto, address: bareHost(via.host), port: sentByPort };
}

/** Values to set on the top Via; undefined means leave that parameter as it is. */
export interface ReceivedParams {
  /** Value for `received=` (a bare IP, RFC 3261 grammar has no brackets). */
  received?: string;
  /** Value for `rport=`, replacing the valueless `rport`. */
  rport?: string;
}

/**
 * RFC 3261 18.2.1: add `received` when the sent-by host differs from the source address (or replace one the
 * client wrote that is not its source address). RFC 3581 4: when
 * `rport` is present without value, fill it with the source port and add `received` even if identical.
 * Returns the strings to set so the message editor applies them (`;received=…;rport=…`).
 */
export function receivedParams(via: { host: string; rport?: number | null; received?: string }, rinfo: ReceiveInfo): ReceivedParams {
  const out: ReceivedParams = {};
  const wantsRport = via.rport === null;
  // A `received` that the client put there itself and that is not its source address is replaced.
  const forged = via.received !== undefined && !sameAddress(bareHost(via.received), rinfo.srcAddress);
  if (wantsRport || forged || !sameAddress(bareHost(via.host), rinfo.srcAddress)) out.received = rinfo.srcAddress;
  if (wantsRport) out.rport = String(rinfo.srcPort);
  return out;
}

/** IPv4 and host names compare as text; IPv6 through its canonical form, `::1` equals `0:0:0:0:0:0:0:1`. */
function sameAddress(host: string, ip: string): boolean {
  if (host === ip) return true;
  if (!host.includes(':') || !ip.includes(':')) return host.toLowerCase() === ip.toLowerCase();
  return canonicalIpv6(host) === canonicalIpv6(ip);
}

function canonicalIpv6(addr: string): string {
  try {
    // The WHATWG URL parser prints IPv6 hosts in the RFC 5952 canonical form.
    return new URL(`http://[${addr}]/`).hostname;
  } catch {
    return addr.toLowerCase();
  }
}
