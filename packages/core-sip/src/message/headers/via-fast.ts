import { Params } from './params.js';
import { Via } from './via.js';

/**
 * Via values of the usual shape (`SIP/2.0/UDP host[:port];name=value;flag`, no whitespace inside, no
 * quotes, ASCII) read straight from the message bytes: about twice as fast as walking a string. Anything
 * else returns undefined and goes through parseVia, which owns the grammar and every error message.
 */

/** branch, received, rport, maddr: the order of Via's `picked` constructor argument (never kept by Via). */
const picked: (string | null | undefined)[] = [undefined, undefined, undefined, undefined];

/** sent-by host bytes the fast path takes: letters, digits, `-`, `.`, `_` (IPv6 references go the slow way). */
const HOST = new Uint8Array(256);
for (let c = 48; c <= 57; c++) HOST[c] = 1;
for (let c = 65; c <= 90; c++) HOST[c] = HOST[c + 32] = 1;
HOST[45] = HOST[46] = HOST[95] = 1;
/**
 * Bytes of a param name (1) or value (1 or 2) on the fast path: printable ASCII except SP, `"` and `,`; `;`
 * and `=` end a name, `;` ends a value. One table load per byte instead of a chain of compares.
 */
const PARAM = new Uint8Array(256);
for (let c = 33; c < 127; c++) PARAM[c] = 1;
PARAM[34] = PARAM[44] = PARAM[59] = 0;
PARAM[61] = 2;

/** The transport of the upper-case letters `b[s..e)` when it is one the fast path knows, else undefined. */
function transportAt(b: Uint8Array, s: number, e: number): string | undefined {
  const n = e - s;
  const c0 = b[s];
  if (n === 3) {
    const c1 = b[s + 1];
    const c2 = b[s + 2];
    if (c0 === 85) return c1 === 68 && c2 === 80 ? 'UDP' : undefined;
    if (c0 === 84) return c1 === 67 && c2 === 80 ? 'TCP' : c1 === 76 && c2 === 83 ? 'TLS' : undefined;
    return c0 === 87 && c1 === 83 && c2 === 83 ? 'WSS' : undefined;
  }
  if (n === 2) return c0 === 87 && b[s + 1] === 83 ? 'WS' : undefined;
  if (n === 4) return c0 === 83 && b[s + 1] === 67 && b[s + 2] === 84 && b[s + 3] === 80 ? 'SCTP' : undefined;
  return undefined;
}

/** `b[i]` lower-cased equals `c`. */
function lc(b: Uint8Array, i: number, c: number): boolean {
  return ((b[i] as number) | 0x20) === c;
}

/** Which picked param the name `b[s..e)` is (any case): 0 branch, 1 received, 2 rport, 3 maddr, -1 none. */
function pickedIndex(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  const c = (b[s] as number) | 0x20;
  if (len === 6) return c === 98 && lc(b, s + 1, 114) && lc(b, s + 2, 97) && lc(b, s + 3, 110) && lc(b, s + 4, 99) && lc(b, s + 5, 104) ? 0 : -1;
  if (len === 5) {
    if (c === 114) return lc(b, s + 1, 112) && lc(b, s + 2, 111) && lc(b, s + 3, 114) && lc(b, s + 4, 116) ? 2 : -1;
    if (c === 109) return lc(b, s + 1, 97) && lc(b, s + 2, 100) && lc(b, s + 3, 100) && lc(b, s + 4, 114) ? 3 : -1;
    return -1;
  }
  if (len === 8 && c === 114) {
    return lc(b, s + 1, 101) && lc(b, s + 2, 99) && lc(b, s + 3, 101) && lc(b, s + 4, 105) && lc(b, s + 5, 118) && lc(b, s + 6, 101) && lc(b, s + 7, 100) ? 1 : -1;
  }
  return -1;
}

function isPort(v: string): boolean {
  if (v.length > 5) return false;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  return n <= 65535;
}

/** Where the value viaFromBytes last read ends: the offset of the comma after it, or the line's end. */
export const VIA_SCAN = { end: 0 };

/**
 * The Via value starting at `s` (after any whitespace) of the line value ending at `e`, up to a comma or
 * `e`, or undefined when it is not of the usual shape (then parse the whole line the slow way). Sets
 * VIA_SCAN.end. `h` is the message decoded as latin1 (positions are offsets in `b`).
 */
export function viaFromBytes(b: Uint8Array, s: number, e: number, h: string): Via | undefined {
  if (e - s < 10 || b[s] !== 83 || b[s + 1] !== 73 || b[s + 2] !== 80 || b[s + 3] !== 47 || b[s + 4] !== 50 || b[s + 5] !== 46 || b[s + 6] !== 48 || b[s + 7] !== 47)
    return undefined;
  let i = s + 8;
  const ts = i;
  while (i < e && (b[i] as number) >= 65 && (b[i] as number) <= 90) i++;
  const transport = transportAt(b, ts, i);
  if (transport === undefined || b[i] !== 32) return undefined;
  const hostStart = ++i;
  const host = HOST;
  while (i < e && host[b[i] as number] === 1) i++;
  if (i === hostStart) return undefined;
  const hostEnd = i;
  let port: number | undefined;
  if (b[i] === 58) {
    const ps = ++i;
    let v = 0;
    for (; i < e; i++) {
      const d = (b[i] as number) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === ps || i - ps > 5 || v > 65535) return undefined;
    port = v;
  }
  if (i < e && b[i] !== 59 && b[i] !== 44) return undefined;
  const paramsAt = i;
  // The first value of each picked param, kept in locals until the end (no array writes while scanning).
  let branch: string | null | undefined;
  let received: string | null | undefined;
  let rport: string | null | undefined;
  let maddr: string | null | undefined;
  const param = PARAM;
  while (i < e && b[i] === 59) {
    const ns = ++i;
    while (i < e && param[b[i] as number] === 1) i++;
    if (i === ns) return undefined;
    // A name ends at "=", ";", "," or the end; any other byte (SP, quote, control, non-ASCII) is not ours.
    const stop = i < e ? (b[i] as number) : 59;
    if (stop !== 61 && stop !== 59 && stop !== 44) return undefined;
    const w = pickedIndex(b, ns, i);
    let value: string | null = null;
    if (stop === 61) {
      const vs = ++i;
      while (i < e && param[b[i] as number] !== 0) i++;
      if (i === vs) return undefined;
      if (i < e && b[i] !== 59 && b[i] !== 44) return undefined;
      if (w >= 0) value = h.slice(vs, i);
    }
    if (w === 0) {
      if (branch === undefined) branch = value;
    } else if (w === 1) {
      if (received === undefined) received = value;
    } else if (w === 2) {
      if (rport === undefined) {
        // parseVia owns the "bad rport value" error.
        if (value !== null && !isPort(value)) return undefined;
        rport = value;
      }
    } else if (w === 3 && maddr === undefined) maddr = value;
  }
  VIA_SCAN.end = i;
  const raw = h.slice(s, i);
  const params = paramsAt < i ? Params.deferred(raw, paramsAt - s, 59) : new Params();
  picked[0] = branch;
  picked[1] = received;
  picked[2] = rport;
  picked[3] = maddr;
  return new Via('SIP/2.0', transport, h.slice(hostStart, hostEnd), port, params, raw, picked);
}
