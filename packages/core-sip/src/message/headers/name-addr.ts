import type { SipUri } from '../../uri/uri.js';
import { parseUri } from '../../uri/uri.js';
import { SipParseError, headerError } from '../parse-error.js';
import type { Params } from './params.js';

/**
 * A name-addr or addr-spec with header parameters: From, To, Route, Record-Route, Refer-To...
 * The URI may be kept as text and parsed on first `uri` access: a proxy reading From/To tags or relaying
 * Route values never pays for it.
 */
export class NameAddr {
  /** Without quotes, quoted-pairs resolved; undefined when none was written. */
  readonly displayName: string | undefined;
  /** Header parameters (after `>`, or after the addr-spec). */
  readonly params: Params;
  readonly tag: string | undefined;
  /** The value as received (unfolded, trimmed). */
  readonly raw: string;
  private cUri: SipUri | undefined;
  /** URI text still to parse ('' once parsed or when given parsed). */
  private uriText: string;
  /** Header name and message offset of the URI, for the error of a deferred parse. */
  private readonly uriHeader: string;
  private readonly uriAt: number;

  /**
   * `uri` given as text is parsed on first access; a bad one throws SipParseError 'E_PARSE_URI' then.
   * `tag` is the tag param when the parser already found it (`false`: read it from `params`).
   */
  constructor(
    displayName: string | undefined,
    uri: SipUri | string,
    params: Params,
    raw: string,
    header = 'name-addr',
    uriAt = 0,
    tag: string | undefined | false = false,
  ) {
    this.displayName = displayName;
    this.params = params;
    this.tag = tag !== false ? tag : (params.get('tag') ?? undefined);
    this.raw = raw;
    this.cUri = typeof uri === 'string' ? undefined : uri;
    this.uriText = typeof uri === 'string' ? uri : '';
    this.uriHeader = header;
    this.uriAt = uriAt;
  }

  get uri(): SipUri {
    if (this.cUri === undefined) {
      try {
        this.cUri = parseUri(this.uriText);
      } catch (e) {
        if (e instanceof SipParseError) throw headerError('E_PARSE_URI', this.uriHeader, this.uriAt + Math.max(e.offset, 0), e.message);
        throw e;
      }
      this.uriText = '';
    }
    return this.cUri;
  }
}

/** One Contact value: a NameAddr with the `expires` and `q` parameters read (RFC 3261 20.10). */
export class Contact extends NameAddr {
  readonly expires: number | undefined;
  readonly q: number | undefined;

  constructor(displayName: string | undefined, uri: SipUri | string, params: Params, raw: string, base = 0, uriAt = base) {
    super(displayName, uri, params, raw, 'Contact', uriAt);
    const ex = params.get('expires');
    if (ex === undefined) {
      this.expires = undefined;
    } else {
      const v = ex === null ? -1 : Number(ex);
      if (ex === null || !/^\d+$/.test(ex)) throw headerError('E_PARSE_HEADER', 'Contact', base, `bad expires parameter "${ex ?? ''}"`);
      if (v > 0xffffffff) throw headerError('E_PARSE_RANGE', 'Contact', base, `expires parameter ${ex} exceeds 2**32-1`);
      this.expires = v;
    }
    const q = params.get('q');
    if (q === undefined) {
      this.q = undefined;
    } else {
      if (q === null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) throw headerError('E_PARSE_HEADER', 'Contact', base, `bad q parameter "${q ?? ''}"`);
      this.q = Number(q);
    }
  }
}
