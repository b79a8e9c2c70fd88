import { trimLws } from '../chars.js';

/**
 * Splits a header value on the commas that separate list elements, skipping commas inside quoted strings
 * and inside `<...>`. Elements are trimmed; empty elements are kept (callers decide whether they are errors).
 */
export function splitList(v: string): string[] {
  // Fast path: most values hold a single element.
  if (v.indexOf(',') < 0) return [trimLws(v)];
  const out: string[] = [];
  let start = 0;
  let angle = false;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < n; i++) {
        const d = v.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 60 /* < */) {
      angle = true;
    } else if (c === 62 /* > */) {
      angle = false;
    } else if (c === 44 /* , */ && !angle) {
      out.push(trimLws(v.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimLws(v.slice(start)));
  return out;
}

/** Position (relative to `from`) of the first list-separating comma at or after `from`, or -1. */
export function nextListComma(v: string, from: number): number {
  let angle = false;
  const n = v.length;
  for (let i = from; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 34) {
      for (i++; i < n; i++) {
        const d = v.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) return i;
  }
  return -1;
}
