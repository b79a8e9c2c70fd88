/** Limits applied while parsing one message; anything beyond them throws SipParseError 'E_PARSE_LIMIT'. */
export interface ParseLimits {
  /** Largest message in bytes (default 65535, the largest UDP datagram). */
  maxMessageSize: number;
  /** Most header lines (default 256). */
  maxHeaders: number;
  /** Longest physical line in bytes, start line included (default 8192). */
  maxLineLength: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageSize: 65535,
  maxHeaders: 256,
  maxLineLength: 8192,
});
