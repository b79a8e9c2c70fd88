import { latin1 } from './chars.js';

/** Common methods, returned as shared constants instead of freshly decoded strings (start line and CSeq). */
const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];
const METHOD_BYTES = METHODS.map((m) => Buffer.from(m, 'latin1'));

/** The method written in `buf[s..e)` (case-sensitive, RFC 3261 7.1), as a shared string when it is a common one. */
export function methodAt(buf: Buffer, s: number, e: number): string {
  const len = e - s;
  outer: for (let k = 0; k < METHOD_BYTES.length; k++) {
    const m = METHOD_BYTES[k] as Buffer;
    if (m.length !== len) continue;
    for (let j = 0; j < len; j++) if (buf[s + j] !== m[j]) continue outer;
    return METHODS[k] as string;
  }
  return latin1(buf, s, e);
}
