import { TOKEN } from '../chars.js';
import { NameAddr } from './name-addr.js';
import { Params } from './params.js';

/**
 * Name-addr values of the usual shape (`"Quoted" <uri>;p=v`, `Token Words <uri>;p`, `<uri>;p`, ASCII, no
 * backslash in the display name, params without whitespace or quotes) read from the message bytes. The URI
 * stays text (NameAddr parses it on first use). Anything else returns undefined and goes through
 * parseNameAddrParts, which owns the grammar and every error message.
 */

/** A byte that ends the fast path inside a param: controls, SP, `"`, `,`, DEL and non-ASCII. */
function odd(c: number): boolean {
  return c <= 32 || c === 34 || c === 44 || c >= 127;
}

function isTag(b: Uint8Array, s: number, e: number): boolean {
  return e - s === 3 && ((b[s] as number) | 0x20) === 116 && ((b[s + 1] as number) | 0x20) === 97 && ((b[s + 2] as number) | 0x20) === 103;
}

/**
 * The value in `b[s..e)` (trimmed, one list element) as a NameAddr, or undefined. `h` is the header block
 * decoded as latin1 from offset `hs`; `base` is the offset errors count from and `elemAt` where this
 * element's text starts (the deferred URI error then lands where parseNameAddrParts would put it).
 */
export function nameAddrFromBytes(b: Uint8Array, s: number, e: number, h: string, hs: number, header: string, base: number, elemAt: number): NameAddr | undefined {
  if (s >= e) return undefined;
  let i = s;
  let displayName: string | undefined;
  const c0 = b[i];
  if (c0 === 34) {
    i++;
    while (i < e && b[i] !== 34) {
      if (b[i] === 92) return undefined;
      i++;
    }
    if (i >= e) return undefined;
    displayName = h.slice(s + 1 - hs, i - hs);
    i++;
    while (i < e && (b[i] === 32 || b[i] === 9)) i++;
    if (b[i] !== 60) return undefined;
  } else if (c0 !== 60) {
    // Token words up to "<"; an addr-spec (no "<") or any other byte goes the slow way.
    let last = i;
    while (i < e && b[i] !== 60) {
      const c = b[i] as number;
      if (c === 32 || c === 9) {
        i++;
        continue;
      }
      if (TOKEN[c] !== 1) return undefined;
      last = ++i;
    }
    if (i >= e) return undefined;
    displayName = h.slice(s - hs, last - hs);
  }
  const lt = i;
  let gt = lt + 1;
  while (gt < e && b[gt] !== 62) gt++;
  if (gt >= e) return undefined;
  i = gt + 1;
  if (i < e && b[i] !== 59) return undefined;
  const paramsAt = i;
  let tag: string | null | undefined;
  while (i < e) {
    const ns = ++i;
    while (i < e && b[i] !== 61 && b[i] !== 59) {
      if (odd(b[i] as number)) return undefined;
      i++;
    }
    if (i === ns) return undefined;
    const isT = tag === undefined && isTag(b, ns, i);
    if (b[i] === 61) {
      const vs = ++i;
      while (i < e && b[i] !== 59) {
        if (odd(b[i] as number)) return undefined;
        i++;
      }
      if (i === vs) return undefined;
      if (isT) tag = h.slice(vs - hs, i - hs);
    } else if (isT) tag = null;
  }
  const raw = h.slice(s - hs, e - hs);
  const params = paramsAt < e ? Params.deferred(raw, paramsAt - s, 59) : new Params();
  return new NameAddr(displayName, h.slice(lt + 1 - hs, gt - hs), params, raw, header, base + (lt + 1 - elemAt), tag ?? undefined);
}
