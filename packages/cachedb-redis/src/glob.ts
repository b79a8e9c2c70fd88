/** Escapes Redis glob metacharacters so a key prefix matches literally in `SCAN MATCH`. */
export function escapeGlob(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '*' || ch === '?' || ch === '[' || ch === ']' || ch === '\\') out += '\\';
    out += ch;
  }
  return out;
}
