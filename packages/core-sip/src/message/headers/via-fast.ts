import { Params } from './params.js';
import { Via } from './via.js';

/**
 * Via values of the usual shape (`SIP/2.0/UDP host[:port];name=value;flag`, no whitespace inside, no
 * quotes, ASCII) read straight from the message bytes: about twice as fast as walking a string. Anything
 * else returns undefined and goes through parseVia, which owns the grammar and every error message.
 */

const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];
const TRANSPORT_BYTES = TRANSPORTS.map((t) => Buffer.from(t, 'latin1'));
/** branch, received, rport, maddr: the order of Via's `picked` constructor argument. */
const picked: (string | null | undefined)[] = [undefined, undefined, undefined, undefined];

function transportAt(b: Uint8Array, s: number, e: number): string | undefined {
  outer: for (let k = 0; k < TRANSPORT_BYTES.length; k++) {
    const t = TRANSPORT_BYTES[k] as Buffer;
    if (t.length !== e - s) continue;
    for (let j = 0; j < t.length; j++) if (b[s + j] !== t[j]) continue outer;
    return TRANSPORTS[k];
  }
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

/** A byte that ends the fast path inside a param: controls, SP, `"`, `,`, DEL and non-ASCII. */
function odd(c: number): boolean {
  return c <= 32 || c === 34 || c === 44 || c >= 127;
}

/** Where the value viaFromBytes last read ends: the offset of the comma after it, or the line's end. */
export const VIA_SCAN = { end: 0 };

/**
 * The Via value starting at `s` (after any whitespace) of the line value ending at `e`, up to a comma or
 * `e`, or undefined when it is not of the usual shape (then parse the whole line the slow way). Sets
 * VIA_SCAN.end. `h` is the message decoded as latin1 (positions are offsets in `b`).
 */
export function viaFromBytes(b: Uint8Array, s: number, e: number, h: string): Via | undefined {
  if (e - s < 10 || b[s] !== 83 || b[s + 1] !== 73 || b[s + 2] !== 80 || b[s + 3] !== 47 || b[s + 4] !== 50 || b[s + 5] !== 46 || b[s + 6] !== 48 || b[s + 7] !== 47) return undefined;
  let i = s + 8;
  const ts = i;
  while (i < e && (b[i] as number) >= 65 && (b[i] as number) <= 90) i++;
  const transport = transportAt(b, ts, i);
  if (transport === undefined || b[i] !== 32) return undefined;
  const hostStart = ++i;
  while (i < e) {
    const c = b[i] as number;
    const l = c | 0x20;
    if (!((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95)) break;
    i++;
  }
  if (i === hostStart) return undefined;
  const hostEnd = i;
  let port: number | undefined;
  if (b[i] === 58) {
    const ps = ++i;
    let v = 0;
    while (i < e && (b[i] as number) >= 48 && (b[i] as number) <= 57) v = v * 10 + ((b[i++] as number) - 48);
    if (i === ps || i - ps > 5 || v > 65535) return undefined;
    port = v;
  }
  if (i < e && b[i] !== 59 && b[i] !== 44) return undefined;
  const paramsAt = i;
  picked[0] = picked[1] = picked[2] = picked[3] = undefined;
  while (i < e && b[i] === 59) {
    const ns = ++i;
    for (; i < e; i++) {
      const c = b[i] as number;
      if (c === 61 || c === 59 || c === 44) break;
      if (odd(c)) return undefined;
    }
    if (i === ns) return undefined;
    const w = pickedIndex(b, ns, i);
    if (b[i] === 61) {
      const vs = ++i;
      for (; i < e; i++) {
        const c = b[i] as number;
        if (c === 59 || c === 44) break;
        if (odd(c)) return undefined;
      }
      if (i === vs) return undefined;
      if (w >= 0 && picked[w] === undefined) picked[w] = h.slice(vs, i);
    } else if (w >= 0 && picked[w] === undefined) picked[w] = null;
  }
  // parseVia owns the "bad rport value" error.
  const rp = picked[2] as string | null | undefined;
  if (typeof rp === 'string' && !isPort(rp)) return undefined;
  VIA_SCAN.end = i;
  const raw = h.slice(s, i);
  const params = paramsAt < i ? Params.deferred(raw, paramsAt - s, 59) : new Params();
  return new Via('SIP/2.0', transport, h.slice(hostStart, hostEnd), port, params, raw, picked);
}
