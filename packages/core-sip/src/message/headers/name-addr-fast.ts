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

/** Where the value nameAddrFromBytes last read ends: the offset of the comma after it, or the line's end. */
export const NAME_ADDR_SCAN = { end: 0 };

/**
 * The name-addr starting at `s` (after any whitespace) of the line value ending at `e`, up to a comma
 * outside `<>` or `e`, or undefined when it is not of the usual shape. Sets NAME_ADDR_SCAN.end. `h` is the
 * message decoded as latin1 (positions are offsets in `b`); `base` is the offset errors count from and
 * `elemAt` where this element's text starts (the deferred URI error then lands where parseNameAddrParts
 * would put it).
 */
export function nameAddrFromBytes(b: Uint8Array, s: number, e: number, h: string, header: string, base: number, elemAt: number): NameAddr | undefined {
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
    displayName = h.slice(s + 1, i);
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
    displayName = h.slice(s, last);
  }
  const lt = i;
  // The URI is skipped with the text's native search; its syntax is checked when it is parsed.
  const gt = h.indexOf('>', lt + 1);
  if (gt < 0 || gt >= e) return undefined;
  i = gt + 1;
  if (i < e && b[i] !== 59 && b[i] !== 44) return undefined;
  const paramsAt = i;
  let tag: string | null | undefined;
  while (i < e && b[i] === 59) {
    const ns = ++i;
    for (; i < e; i++) {
      const c = b[i] as number;
      if (c === 61 || c === 59 || c === 44) break;
      if (odd(c)) return undefined;
    }
    if (i === ns) return undefined;
    const isT = tag === undefined && isTag(b, ns, i);
    if (b[i] === 61) {
      const vs = ++i;
      for (; i < e; i++) {
        const c = b[i] as number;
        if (c === 59 || c === 44) break;
        if (odd(c)) return undefined;
      }
      if (i === vs) return undefined;
      if (isT) tag = h.slice(vs, i);
    } else if (isT) tag = null;
  }
  NAME_ADDR_SCAN.end = i;
  const raw = h.slice(s, i);
  const params = paramsAt < i ? Params.deferred(raw, paramsAt - s, 59) : new Params();
  return new NameAddr(displayName, h.slice(lt + 1, gt), params, raw, header, base + (lt + 1 - elemAt), tag ?? undefined);
}
