import type { SipMessage } from './message.js';

/**
 * Thrown by the parser, the URI parser and the lazy header accessors.
 * `code` says what class of problem it is (a server maps it to 400 or 505), `offset` where in the raw
 * message (or URI text) it was found, `header` which header it concerns when one does.
 */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly code: string;
  readonly offset: number;
  readonly header: string | undefined;
  /**
   * Set when the start line and the header index could be built before the error (for instance a bad
   * Content-Length or a missing empty line), so a server can still answer 400 from Via/From/To/Call-ID/CSeq.
   * Headers after the point of a header-line error are missing from it.
   * Not enumerable: a logged error (pino's serializer, JSON) must not carry the whole message, its raw bytes
   * as a number array (a 60 kB datagram made a 240 kB log line: log volume a flood of bad requests controls).
   */
  declare readonly partial: SipMessage | undefined;

  constructor(code: string, message: string, offset = -1, header?: string, partial?: SipMessage) {
    super(message);
    this.code = code;
    this.offset = offset;
    this.header = header;
    Object.defineProperty(this, 'partial', { value: partial, enumerable: false });
  }
}

/** Error for a header value: "Via header at offset 123: missing sent-by host" (or "URI at offset 4: ..."). */
export function headerError(code: string, header: string, offset: number, what: string): SipParseError {
  const label = header === 'URI' ? 'URI' : `${header} header`;
  return new SipParseError(code, `${label} at offset ${offset}: ${what}`, offset, header === 'URI' ? undefined : header);
}
