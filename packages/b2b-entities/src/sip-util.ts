/** Small SIP helpers of b2b_entities: header strings from params, address forms, bodies. */
import type { ListenSocket } from '@core/sip';
import { b2bErrors } from './errors.js';

/** `Name: value` lines (CRLF or LF, a trailing one allowed) or pairs → pairs. */
export function parseExtraHeaders(fn: string, h: string | readonly [string, string][] | undefined): [string, string][] {
  if (h === undefined) return [];
  if (typeof h !== 'string') return h.map(([n, v]) => [n, v]);
  const out: [string, string][] = [];
  for (const line of h.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const i = line.indexOf(':');
    if (i <= 0) throw b2bErrors.arg(fn, `extra header "${line}" is not "Name: value"`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

export function hasHeader(h: readonly [string, string][], name: string): boolean {
  const l = name.toLowerCase();
  return h.some(([n]) => n.toLowerCase() === l);
}

export function toBody(b: Buffer | string | undefined): Buffer | undefined {
  if (b === undefined) return undefined;
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return buf.length === 0 ? undefined : buf;
}

/** Content-Type of a body: the given one, else application/sdp (as the doc says); none without a body. */
export function contentTypeFor(body: Buffer | undefined, ct: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  return ct === undefined || ct === '' ? 'application/sdp' : ct;
}

/** `uri`, `"Name" <uri>`, `Name <uri>` → display name and URI. */
export function parseAddress(fn: string, s: string): { dname: string; uri: string } {
  const t = s.trim();
  const lt = t.indexOf('<');
  if (lt < 0) {
    if (!/^sips?:/i.test(t)) throw b2bErrors.arg(fn, `"${s}" is not a SIP URI`);
    return { dname: '', uri: t };
  }
  const gt = t.indexOf('>', lt);
  if (gt < 0) throw b2bErrors.arg(fn, `"${s}" has no closing ">"`);
  const uri = t.slice(lt + 1, gt).trim();
  if (!/^sips?:/i.test(uri)) throw b2bErrors.arg(fn, `"${s}" is not a SIP URI`);
  let dname = t.slice(0, lt).trim();
  if (dname.startsWith('"') && dname.endsWith('"') && dname.length >= 2) dname = dname.slice(1, -1).replace(/\\(.)/g, '$1');
  return { dname, uri };
}

/** The MI form `display_name,uri` (or just `uri`). */
export function parseMiAddress(fn: string, s: string): { dname: string; uri: string } {
  const i = s.indexOf(',');
  if (i < 0) return parseAddress(fn, s);
  const uri = s.slice(i + 1).trim();
  return { dname: s.slice(0, i).trim(), uri: parseAddress(fn, uri).uri };
}

/** Our Contact URI on a socket. */
export function socketContact(sock: ListenSocket): string {
  const host = sock.family === 6 ? `[${sock.advertisedAddress}]` : sock.advertisedAddress;
  return `sip:${host}:${sock.advertisedPort}${sock.proto === 'udp' ? '' : `;transport=${sock.proto}`}`;
}

/** The header section of a message as text (E_UA_SESSION `headers`). */
export function headerSection(raw: Buffer, headersStart: number, headersEnd: number): string {
  return raw.toString('latin1', headersStart, headersEnd).replace(/\r\n$/, '');
}
