import { TOKEN, trimLws } from '../chars.js';
import { headerError } from '../parse-error.js';
import { unquote } from './params.js';

/**
 * One Authorization/Proxy-Authorization or WWW-/Proxy-Authenticate value (RFC 3261 20.7, 20.27, 20.28, 20.44;
 * RFC 2617): a scheme and its comma-separated auth-params. Param names are lower-cased, values unquoted.
 * A scheme this parser does not know keeps its params too (RFC 4475 regaut01), or its token68 text.
 */
abstract class AuthValue {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
  /** Text after the scheme when it is not a list of name=value pairs (e.g. `Basic dXNlcjpwYXNz`). */
  readonly token68: string | undefined;
  readonly raw: string;

  constructor(scheme: string, params: ReadonlyMap<string, string>, token68: string | undefined, raw: string) {
    this.scheme = scheme;
    this.params = params;
    this.token68 = token68;
    this.raw = raw;
  }

  get realm(): string | undefined {
    return this.params.get('realm');
  }
  get nonce(): string | undefined {
    return this.params.get('nonce');
  }
  get opaque(): string | undefined {
    return this.params.get('opaque');
  }
  get algorithm(): string | undefined {
    return this.params.get('algorithm');
  }
  get qop(): string | undefined {
    return this.params.get('qop');
  }
}

export class DigestChallenge extends AuthValue {
  get stale(): boolean {
    return (this.params.get('stale') ?? '').toLowerCase() === 'true';
  }
  get domain(): string | undefined {
    return this.params.get('domain');
  }
}

export class DigestCredentials extends AuthValue {
  get username(): string | undefined {
    return this.params.get('username');
  }
  get uri(): string | undefined {
    return this.params.get('uri');
  }
  get response(): string | undefined {
    return this.params.get('response');
  }
  get cnonce(): string | undefined {
    return this.params.get('cnonce');
  }
  get nc(): string | undefined {
    return this.params.get('nc');
  }
}

const PAIR = /\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*)\s*(,|$)/y;

function parseAuth<T extends AuthValue>(
  make: new (scheme: string, params: ReadonlyMap<string, string>, token68: string | undefined, raw: string) => T,
  header: string,
  text: string,
  base: number,
): T {
  const v = trimLws(text);
  let i = 0;
  while (i < v.length && TOKEN[v.charCodeAt(i)] === 1) i++;
  if (i === 0) throw headerError('E_PARSE_HEADER', header, base, 'missing auth scheme');
  const scheme = v.slice(0, i);
  const rest = trimLws(v.slice(i));
  const params = new Map<string, string>();
  if (rest.length === 0) return new make(scheme, params, undefined, text);
  if (i < v.length && v.charCodeAt(i) !== 32 && v.charCodeAt(i) !== 9) {
    throw headerError('E_PARSE_HEADER', header, base + i, 'expected whitespace after the auth scheme');
  }
  if (/^[A-Za-z0-9\-._~+/]+=*$/.test(rest) && rest.indexOf('=') < 0) return new make(scheme, params, rest, text);
  PAIR.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    PAIR.lastIndex = pos;
    const m = PAIR.exec(rest);
    if (m === null) {
      if (params.size === 0 && /^[A-Za-z0-9\-._~+/]+=*$/.test(rest)) return new make(scheme, params, rest, text);
      throw headerError('E_PARSE_HEADER', header, base + pos, `bad auth-param near "${rest.slice(pos, pos + 20)}"`);
    }
    params.set((m[1] as string).toLowerCase(), unquote(m[2] as string));
    pos = PAIR.lastIndex;
  }
  return new make(scheme, params, undefined, text);
}

export function parseChallenge(text: string, header = 'WWW-Authenticate', base = 0): DigestChallenge {
  return parseAuth(DigestChallenge, header, text, base);
}

export function parseCredentials(text: string, header = 'Authorization', base = 0): DigestCredentials {
  return parseAuth(DigestCredentials, header, text, base);
}
