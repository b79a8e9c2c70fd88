import { TOKEN, isWs, parseUint } from '../chars.js';
import { headerError } from '../parse-error.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** Parses `CSeq: 1*DIGIT LWS Method`; the number must fit in 32 bits (RFC 3261 8.1.1.5, RFC 4475 scalar02). */
export function parseCSeq(text: string, base = 0): CSeq {
  let i = 0;
  const n = text.length;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  const ns = i;
  while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  if (i === ns) throw headerError('E_PARSE_CSEQ', 'CSeq', base + ns, 'missing sequence number');
  const seq = parseUint(text.slice(ns, i));
  if (seq > 0xffffffff) throw headerError('E_PARSE_RANGE', 'CSeq', base + ns, `sequence number ${text.slice(ns, i)} exceeds 2**32-1`);
  const ws = i;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  if (i === ws) throw headerError('E_PARSE_CSEQ', 'CSeq', base + i, 'expected whitespace and a method after the number');
  const ms = i;
  while (i < n && TOKEN[text.charCodeAt(i)] === 1) i++;
  if (i === ms) throw headerError('E_PARSE_CSEQ', 'CSeq', base + ms, 'missing method');
  const me = i;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  if (i !== n) throw headerError('E_PARSE_CSEQ', 'CSeq', base + i, `unexpected "${text[i]}" after the method`);
  return { seq, method: text.slice(ms, me) };
}
