import type { SipUri } from '../../uri/uri.js';
import { headerError } from '../parse-error.js';
import type { Params } from './params.js';

/** A name-addr or addr-spec with header parameters: From, To, Route, Record-Route, Refer-To... */
export class NameAddr {
  /** Without quotes, quoted-pairs resolved; undefined when none was written. */
  readonly displayName: string | undefined;
  readonly uri: SipUri;
  /** Header parameters (after `>`, or after the addr-spec). */
  readonly params: Params;
  readonly tag: string | undefined;
  /** The value as received (unfolded, trimmed). */
  readonly raw: string;

  constructor(displayName: string | undefined, uri: SipUri, params: Params, raw: string) {
    this.displayName = displayName;
    this.uri = uri;
    this.params = params;
    this.tag = params.get('tag') ?? undefined;
    this.raw = raw;
  }
}

/** One Contact value: a NameAddr with the `expires` and `q` parameters read (RFC 3261 20.10). */
export class Contact extends NameAddr {
  readonly expires: number | undefined;
  readonly q: number | undefined;

  constructor(displayName: string | undefined, uri: SipUri, params: Params, raw: string, base = 0) {
    super(displayName, uri, params, raw);
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
