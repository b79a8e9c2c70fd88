/** Percent-escape handling for URI parts (RFC 3261 25.1 "escaped"). */

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Decodes `%XX` escapes (as UTF-8). A `%` not followed by two hex digits is kept literally, so text that was
 * never meant as an escape (RFC 4475 esc02) survives. `%00` becomes U+0000, which JS strings hold safely.
 */
export function unescapePercent(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const h = hex(s.charCodeAt(i + 1));
      const l = hex(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes.push((h << 4) | l);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i] as string, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
