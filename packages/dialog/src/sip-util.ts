/** Small SIP helpers for dialog: route sets from Record-Route, param lookup, name-addr building. */
import { splitList, type SipMessage } from '@core/sip';

/** Value of `name` in a `;a=b;c` param string: string, null (no value) or undefined (absent). */
export function paramValue(params: string, name: string): string | null | undefined {
  let i = 0;
  const n = params.length;
  while (i < n) {
    let end = params.indexOf(';', i);
    if (end < 0) end = n;
    const eq = params.indexOf('=', i);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (params.slice(i, nameEnd).trim().toLowerCase() === name) return nameEnd === end ? null : params.slice(eq + 1, end).trim();
    i = end + 1;
  }
  return undefined;
}

/**
 * The caller's route set as seen from us (RFC 3261 12.1.1 turned around): the Record-Route entries the
 * INVITE already carried when it reached us, top first (the nearest proxy towards the caller first).
 */
export function callerRouteSet(invite: SipMessage): string {
  const rrs = invite.recordRoutes;
  if (rrs.length === 0) return '';
  return rrs.map((r) => r.raw).join(',');
}

/**
 * The callee's route set: in the 2xx, the Record-Route entries above ours (added by proxies between us and
 * the callee), nearest to us first — so reversed.
 */
export function calleeRouteSet(reply: SipMessage, isMyself: (host: string, port?: number) => boolean): string {
  const rrs = reply.recordRoutes;
  const out: string[] = [];
  for (const r of rrs) {
    if (isMyself(r.uri.host, r.uri.port)) break;
    out.push(r.raw);
  }
  return out.reverse().join(',');
}

export function routeList(set: string): string[] {
  return set === '' ? [] : splitList(set);
}

/** The first Contact URI of a message, '' when none. */
export function contactOf(msg: SipMessage): string {
  const c = msg.contacts[0];
  return c === undefined ? '' : c.uri.toString();
}

export function nameAddr(uri: string, tag: string): string {
  return tag === '' ? `<${uri}>` : `<${uri}>;tag=${tag}`;
}

/** The URI of a From/To/Contact header value: inside `<…>`, else up to the header params. */
export function uriOfHeaderValue(v: string): string {
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt + 1);
    return (gt > lt ? v.slice(lt + 1, gt) : v.slice(lt + 1)).trim();
  }
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim();
}

/** The session description a message carries, '' when it has none (kept for re-INVITE pings). */
export function sdpOf(msg: SipMessage): string {
  const ct = msg.contentType;
  if (ct === undefined || !/^\s*application\/sdp\b/i.test(ct)) return '';
  return msg.body.toString('utf8');
}

/** A Contact URI for requests we send from a socket named `udp:127.0.0.1:5060` ('' when unnamed). */
export function contactOfSocket(sock: string): string {
  const c1 = sock.indexOf(':');
  if (c1 <= 0) return '';
  const proto = sock.slice(0, c1).toLowerCase();
  const hostPort = sock.slice(c1 + 1);
  const scheme = proto === 'tls' || proto === 'wss' ? 'sips' : 'sip';
  return `${scheme}:${hostPort}${proto === 'udp' || proto === 'tls' ? '' : `;transport=${proto}`}`;
}

/** `Name: value` header lines (CRLF or LF separated, as dlg_extra_hdrs / extra_hdrs) → header pairs. */
export function parseHeaderLines(s: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of s.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`"${line}" is not a "Name: value" header line`);
    out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}
