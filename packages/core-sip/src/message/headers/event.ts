import { TOKEN, isWs } from '../chars.js';
import { headerError } from '../parse-error.js';
import { parseParams } from './params.js';
import type { Params } from './params.js';

export interface EventHeader {
  type: string;
  params: Params;
}

/** Parses `Event: package[.template];params` (RFC 6665 8.2.1). */
export function parseEvent(text: string, base = 0): EventHeader {
  let i = 0;
  const n = text.length;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  const ts = i;
  while (i < n && TOKEN[text.charCodeAt(i)] === 1) i++;
  if (i === ts) throw headerError('E_PARSE_HEADER', 'Event', base + ts, 'missing event type');
  const type = text.slice(ts, i);
  const params = parseParams(text, i, 59, 'E_PARSE_HEADER', 'Event', base);
  return { type, params };
}
