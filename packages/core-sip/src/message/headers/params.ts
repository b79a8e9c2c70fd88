import { eqi, isWs } from '../chars.js';
import { headerError } from '../parse-error.js';

/**
 * Ordered parameters of a header value or URI (`;a=b;c`). Names keep their written case and compare
 * case-insensitively; a parameter written without `=value` has the value `null`. Values keep quotes as written.
 */
export class Params {
  private readonly names: string[];
  private readonly values: (string | null)[];
  /** True once set/delete changed the list (lets a URI reuse its original text while unmodified). */
  modified: boolean;

  constructor() {
    this.names = [];
    this.values = [];
    this.modified = false;
  }

  get size(): number {
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
      this.names.push(name);
      this.values.push(value);
    } else {
      this.values[i] = value;
    }
    this.modified = true;
    return this;
  }

  delete(name: string): boolean {
    const i = this.indexOf(name);
    if (i < 0) return false;
    this.names.splice(i, 1);
    this.values.splice(i, 1);
    this.modified = true;
    return true;
  }

  /** Used by the parsers: appends without looking for duplicates and without marking the list modified. */
  append(name: string, value: string | null): void {
    this.names.push(name);
    this.values.push(value);
  }

  nameAt(i: number): string | undefined {
    return this.names[i];
  }

  valueAt(i: number): string | null | undefined {
    return this.values[i];
  }

  [Symbol.iterator](): IterableIterator<[string, string | null]> {
    return this.entries();
  }

  *entries(): IterableIterator<[string, string | null]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i] as string, this.values[i] ?? null];
  }

  /** `;a=b;c` (or with another separator, `&` for URI headers where the first one is `?`). */
  toString(sep = ';', first = sep): string {
    let out = '';
    for (let i = 0; i < this.names.length; i++) {
      const v = this.values[i];
      out += (i === 0 ? first : sep) + this.names[i] + (v === null || v === undefined ? '' : '=' + v);
    }
    return out;
  }

  private indexOf(name: string): number {
    for (let i = 0; i < this.names.length; i++) if (eqi(this.names[i] as string, name)) return i;
    return -1;
  }
}

/**
 * Parses `*( LWS sep LWS name [ LWS "=" LWS value ] )` from `s` starting at `i` (which must be at a separator
 * or at the end). Values are tokens, hosts or quoted strings (kept with their quotes).
 */
export function parseParams(s: string, i: number, sep: number, code = 'E_PARSE_HEADER', header = 'Parameter', base = 0, into = new Params()): Params {
  const n = s.length;
  for (;;) {
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i >= n) return into;
    if (s.charCodeAt(i) !== sep) throw headerError(code, header, base + i, `unexpected "${s[i]}" where "${String.fromCharCode(sep)}" or the end was expected`);
    i++;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    const ns = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 61 /* = */ || c === sep || isWs(c)) break;
      i++;
    }
    if (i === ns) throw headerError(code, header, base + ns, 'empty parameter');
    const name = s.slice(ns, i);
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) === 61) {
      i++;
      while (i < n && isWs(s.charCodeAt(i))) i++;
      const vs = i;
      if (i < n && s.charCodeAt(i) === 34 /* " */) {
        i = skipQuoted(s, i);
        if (i < 0) throw headerError(code, header, base + vs, `unterminated quoted value of parameter "${name}"`);
      } else {
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === sep || isWs(c)) break;
          i++;
        }
      }
      if (i === vs) throw headerError(code, header, base + vs, `parameter "${name}" has "=" but no value`);
      into.append(name, s.slice(vs, i));
    } else {
      into.append(name, null);
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
