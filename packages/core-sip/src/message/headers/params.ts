import { eqi, isWs } from '../chars.js';
import { headerError } from '../parse-error.js';

/** Shared empty list of a Params nothing was added to; replaced by a list of its own before any change. */
const NONE: never[] = [];

/**
 * Ordered parameters of a header value or URI (`;a=b;c`). Names keep their written case and compare
 * case-insensitively; a parameter written without `=value` has the value `null`. Values keep quotes as written.
 * Parameters of a received message are kept as text (already checked) and split into names and values on
 * first access.
 */
export class Params {
  private names: string[];
  private values: (string | null)[];
  /** True once set/delete changed the list (lets a URI reuse its original text while unmodified). */
  modified: boolean;
  /** Checked parameter text still to split ('' when none), from `srcAt`, separated by `srcSep`. */
  private src: string;
  private srcAt: number;
  private srcSep: number;

  constructor() {
    this.names = NONE;
    this.values = NONE;
    this.modified = false;
    this.src = '';
    this.srcAt = 0;
    this.srcSep = 59;
  }

  /** @internal Parameters of `s` from `i` (checked by scanParams), split on first access. */
  static deferred(s: string, i: number, sep: number): Params {
    const p = new Params();
    p.src = s;
    p.srcAt = i;
    p.srcSep = sep;
    return p;
  }

  get size(): number {
    if (this.src !== '') this.load();
    return this.names.length;
  }

  /** The value; `null` when present without a value; `undefined` when absent. */
  get(name: string): string | null | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** Replaces the first parameter of that name or appends one. */
  set(name: string, value: string | null): this {
    const i = this.indexOf(name);
    if (i < 0) {
      this.append(name, value);
    } else {
      this.own();
      this.values[i] = value;
    }
    this.modified = true;
    return this;
  }

  delete(name: string): boolean {
    const i = this.indexOf(name);
    if (i < 0) return false;
    this.own();
    this.names.splice(i, 1);
    this.values.splice(i, 1);
    this.modified = true;
    return true;
  }

  /** Used by the parsers: appends without looking for duplicates and without marking the list modified. */
  append(name: string, value: string | null): void {
    this.own();
    this.names.push(name);
    this.values.push(value);
  }

  nameAt(i: number): string | undefined {
    if (this.src !== '') this.load();
    return this.names[i];
  }

  valueAt(i: number): string | null | undefined {
    if (this.src !== '') this.load();
    return this.values[i];
  }

  [Symbol.iterator](): IterableIterator<[string, string | null]> {
    return this.entries();
  }

  *entries(): IterableIterator<[string, string | null]> {
    if (this.src !== '') this.load();
    for (let i = 0; i < this.names.length; i++) yield [this.names[i] as string, this.values[i] ?? null];
  }

  /** `;a=b;c` (or with another separator, `&` for URI headers where the first one is `?`). */
  toString(sep = ';', first = sep): string {
    if (this.src !== '') this.load();
    let out = '';
    for (let i = 0; i < this.names.length; i++) {
      const v = this.values[i];
      out += (i === 0 ? first : sep) + this.names[i] + (v === null || v === undefined ? '' : '=' + v);
    }
    return out;
  }

  private indexOf(name: string): number {
    if (this.src !== '') this.load();
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (eqi(names[i] as string, name)) return i;
    return -1;
  }

  /** Splits deferred text (it was checked, so this cannot throw). */
  private load(): void {
    const s = this.src;
    this.src = '';
    this.names = [];
    this.values = [];
    scanParams(s, this.srcAt, this.srcSep, 'E_PARSE_HEADER', 'Parameter', 0, this, null);
  }

  /** Gives this list arrays of its own before a change. */
  private own(): void {
    if (this.src !== '') this.load();
    if (this.names === NONE) {
      this.names = [];
      this.values = [];
    }
  }
}

/**
 * Parses `*( LWS sep LWS name [ LWS "=" LWS value ] )` from `s` starting at `i` (which must be at a separator
 * or at the end). Values are tokens, hosts or quoted strings (kept with their quotes).
 */
export function parseParams(s: string, i: number, sep: number, code = 'E_PARSE_HEADER', header = 'Parameter', base = 0, into = new Params()): Params {
  scanParams(s, i, sep, code, header, base, into, null);
  return into;
}

/**
 * Checks the parameters of `s` from `i` as parseParams does (same errors) and returns them deferred: split
 * only when read. The first value of each name in `want` (lower-case) is stored in `picked` at the same
 * index (`null` without a value, left `undefined` when absent); callers pass a reused array.
 */
export function deferParams(
  s: string,
  i: number,
  sep: number,
  code: string,
  header: string,
  base: number,
  want: readonly string[] | null,
  picked: (string | null | undefined)[] | null,
): Params {
  const n = s.length;
  let j = i;
  while (j < n && isWs(s.charCodeAt(j))) j++;
  if (j >= n) return new Params();
  scanParams(s, i, sep, code, header, base, null, want, picked);
  return Params.deferred(s, i, sep);
}

/** `s[a..b)` equals lower-case ASCII `w`, ignoring case. */
function eqiAt(s: string, a: number, b: number, w: string): boolean {
  if (b - a !== w.length) return false;
  for (let k = 0; k < w.length; k++) if ((s.charCodeAt(a + k) | 0x20) !== w.charCodeAt(k)) return false;
  return true;
}

/** The parameter grammar walk shared by parseParams, deferParams and a deferred list's first read. */
function scanParams(
  s: string,
  i: number,
  sep: number,
  code: string,
  header: string,
  base: number,
  into: Params | null,
  want: readonly string[] | null,
  picked: (string | null | undefined)[] | null = null,
): void {
  const n = s.length;
  for (;;) {
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i >= n) return;
    if (s.charCodeAt(i) !== sep) throw headerError(code, header, base + i, `unexpected "${s[i]}" where "${String.fromCharCode(sep)}" or the end was expected`);
    i++;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    const ns = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 61 /* = */ || c === sep || isWs(c)) break;
      i++;
    }
    const ne = i;
    if (i === ns) throw headerError(code, header, base + ns, 'empty parameter');
    let w = -1;
    if (want !== null) {
      for (let k = 0; k < want.length; k++) {
        if (eqiAt(s, ns, ne, want[k] as string)) {
          if ((picked as (string | null | undefined)[])[k] === undefined) w = k;
          break;
        }
      }
    }
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) === 61) {
      i++;
      while (i < n && isWs(s.charCodeAt(i))) i++;
      const vs = i;
      if (i < n && s.charCodeAt(i) === 34 /* " */) {
        i = skipQuoted(s, i);
        if (i < 0) throw headerError(code, header, base + vs, `unterminated quoted value of parameter "${s.slice(ns, ne)}"`);
      } else {
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === sep || isWs(c)) break;
          i++;
        }
      }
      if (i === vs) throw headerError(code, header, base + vs, `parameter "${s.slice(ns, ne)}" has "=" but no value`);
      if (into !== null) into.append(s.slice(ns, ne), s.slice(vs, i));
      if (w >= 0) (picked as (string | null | undefined)[])[w] = s.slice(vs, i);
    } else {
      if (into !== null) into.append(s.slice(ns, ne), null);
      if (w >= 0) (picked as (string | null | undefined)[])[w] = null;
    }
  }
}

/** Given `s[i]` is a double quote, returns the index after the closing quote, or -1 when unterminated. */
export function skipQuoted(s: string, i: number): number {
  const n = s.length;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34) return i + 1;
  }
  return -1;
}

/** Removes surrounding quotes and resolves quoted-pairs; returns the text unchanged when it is not quoted. */
export function unquote(v: string): string {
  if (v.length < 2 || v.charCodeAt(0) !== 34 || v.charCodeAt(v.length - 1) !== 34) return v;
  const inner = v.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (c === '\\' && i + 1 < inner.length) out += inner[++i];
    else out += c;
  }
  return out;
}
