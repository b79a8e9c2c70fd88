/** Byte classes and small text helpers shared by the message and URI parsers (no regex on the hot path). */

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;
export const COLON = 58;

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(256);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** RFC 3261 token characters. */
export const TOKEN = table("-.!%*_+`'~", true);

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || TOKEN[c] !== 1) return false;
  }
  return true;
}

export function isWs(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

/** ASCII case-insensitive equality without allocating lower-cased copies. */
export function eqi(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const lx = x | 0x20;
      if (lx !== (y | 0x20) || lx < 97 || lx > 122) return false;
    }
  }
  return true;
}

/** Unsigned decimal of at most 15 digits, or -1 when `s` is not one (empty, sign, other chars). */
export function parseUint(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return n > 15 && allDigits(s) ? Number.POSITIVE_INFINITY : -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

interface NodeSlices {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}
const proto = Buffer.prototype as unknown as Partial<NodeSlices>;
const hasSlices = typeof proto.utf8Slice === 'function' && typeof proto.latin1Slice === 'function';

/** Decodes a UTF-8 slice; uses Node's direct slice method when present (skips toString's argument checks). */
export const utf8 = hasSlices
  ? (b: Buffer, s: number, e: number): string => (b as unknown as NodeSlices).utf8Slice(s, e)
  : (b: Buffer, s: number, e: number): string => b.toString('utf8', s, e);

export const latin1 = hasSlices
  ? (b: Buffer, s: number, e: number): string => (b as unknown as NodeSlices).latin1Slice(s, e)
  : (b: Buffer, s: number, e: number): string => b.toString('latin1', s, e);

/** Trims SP, HTAB, CR and LF from both ends. */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
