// Public surface of the URI layer: sip/sips/tel parsing, RFC 3261 comparison and name-addr parsing.
export { SipUri, formatUri, parseUri, uriEquals } from './uri.js';
export { parseNameAddr } from './name-addr.js';
export { unescapePercent } from './percent.js';
