import { TOKEN, isWs } from '../message/chars.js';
import { headerError } from '../message/parse-error.js';
import { NameAddr } from '../message/headers/name-addr.js';
import { deferParams, skipQuoted, unquote } from '../message/headers/params.js';
import type { Params } from '../message/headers/params.js';

interface NameAddrParts {
  displayName: string | undefined;
  /** The URI as written, not parsed yet (NameAddr parses it on first access). */
  uriText: string;
  /** Offset of the URI in the message (base + position in the value). */
  uriAt: number;
  params: Params;
  /** The first `tag` header param (null without a value). */
  tag: string | null | undefined;
  raw: string;
}

const TAG: readonly string[] = ['tag'];
/** Reused by parseNameAddrParts (the tag is copied out before it returns). */
const picked: (string | null | undefined)[] = [undefined];

/**
 * Splits `"Display" <uri>;params`, `token words<uri>;params` (no LWS needed before `<`, RFC 4475 lwsdisp) or
 * the addr-spec form `uri;params`, where the params belong to the header, not the URI (RFC 3261 20.10).
 * An addr-spec containing `?` or `,` must be enclosed in `<>`.
 */
export function parseNameAddrParts(text: string, header = 'name-addr', base = 0): NameAddrParts {
  const n = text.length;
  let i = 0;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  if (i >= n) throw headerError('E_PARSE_HEADER', header, base + i, 'empty value');
  let displayName: string | undefined;
  let uriText: string;
  let uriPos: number;
  let after: number;
  let lt = -1;
  if (text.charCodeAt(i) === 34) {
    const e = skipQuoted(text, i);
    if (e < 0) throw headerError('E_PARSE_HEADER', header, base + i, 'unterminated quoted display name');
    displayName = unquote(text.slice(i, e));
    i = e;
    while (i < n && isWs(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 60) throw headerError('E_PARSE_HEADER', header, base + i, 'expected "<" after the quoted display name');
    lt = i;
  } else {
    lt = text.indexOf('<', i);
    if (lt >= 0) {
      let e = lt;
      while (e > i && isWs(text.charCodeAt(e - 1))) e--;
      for (let k = i; k < e; k++) {
        const c = text.charCodeAt(k);
        if (!isWs(c) && (c > 255 || TOKEN[c] !== 1)) throw headerError('E_PARSE_HEADER', header, base + k, `display name with "${text[k]}" must be quoted`);
      }
      if (e > i) displayName = text.slice(i, e);
    }
  }
  if (lt >= 0) {
    const gt = text.indexOf('>', lt + 1);
    if (gt < 0) throw headerError('E_PARSE_HEADER', header, base + lt, 'missing ">"');
    uriText = text.slice(lt + 1, gt);
    uriPos = lt + 1;
    after = gt + 1;
  } else {
    let e = text.indexOf(';', i);
    if (e < 0) e = n;
    after = e;
    while (e > i && isWs(text.charCodeAt(e - 1))) e--;
    uriText = text.slice(i, e);
    uriPos = i;
    for (let k = 0; k < uriText.length; k++) {
      const c = uriText.charCodeAt(k);
      if (c === 63 || c === 44) throw headerError('E_PARSE_HEADER', header, base + i + k, `URI containing "${uriText[k]}" must be enclosed in "<>"`);
    }
  }
  picked[0] = undefined;
  const params = deferParams(text, after, 59, 'E_PARSE_HEADER', header, base, TAG, picked);
  return { displayName, uriText, uriAt: base + uriPos, params, tag: picked[0], raw: text };
}

/** Parses a name-addr or addr-spec header value (From, To, Route...) and its URI. Throws SipParseError. */
export function parseNameAddr(text: string, header = 'name-addr', base = 0): NameAddr {
  const a = nameAddrOf(text, header, base);
  void a.uri;
  return a;
}

/** As parseNameAddr, but the URI is parsed (and its errors thrown) on first `uri` access. */
export function nameAddrOf(text: string, header = 'name-addr', base = 0): NameAddr {
  const p = parseNameAddrParts(text, header, base);
  return new NameAddr(p.displayName, p.uriText, p.params, p.raw, header, p.uriAt, p.tag ?? undefined);
}
