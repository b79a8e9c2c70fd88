/** logContext / safeCallId: what error handlers log about a message, for messages the typed accessors reject. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RFC4475_DIR } from '@tsips/testkit';
import { SipParseError, logContext, parseMessage, safeCallId, type SipMessage } from '../../src/index.js';

/** The message a 400 is built from: what the parser or validate() left, as the receive pipeline takes it. */
function broken(text: string): SipMessage {
  let m: SipMessage | undefined;
  try {
    m = parseMessage(Buffer.from(text, 'latin1'));
    m.validate();
    return m;
  } catch (err) {
    const got = err instanceof SipParseError ? (err.partial ?? m) : undefined;
    if (got === undefined) throw err;
    return got;
  }
}

describe('logContext', () => {
  it('reads RFC 4475 insuf (no Call-ID, From, To) without throwing, where msg.callId throws', () => {
    const m = parseMessage(readFileSync(`${RFC4475_DIR}insuf.dat`));
    expect(() => m.callId).toThrow(SipParseError);
    expect(safeCallId(m)).toBeUndefined();
    expect(logContext(m)).toEqual({ callId: undefined, method: 'INVITE', cseq: '193942 INVITE', status: undefined });
  });

  it('gives a reply its status and the CSeq method, and cuts a huge Call-ID', () => {
    const long = 'c'.repeat(5000);
    const m = broken(`SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: ${long}\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n`);
    const c = logContext(m);
    expect(c).toMatchObject({ method: 'INVITE', cseq: '7 INVITE', status: 180 });
    expect(c.callId?.length).toBeLessThan(140);
    expect(c.callId?.startsWith('ccc')).toBe(true);
  });

  it('never throws, whatever the message (partial ones from parse errors included)', () => {
    const samples = [
      'INVITE sip:x SIP/2.0\r\nCall-ID: a b c\r\nCSeq: x\r\n\r\n',
      'INVITE sip:x SIP/2.0\r\nVia: ;;,;,,\r\nCall-ID:\r\nCSeq: 1 INVITE\r\nFrom: <<<\r\n\r\n',
      'OPTIONS sip:x SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\nshort',
    ];
    for (const s of samples) {
      let m: SipMessage | undefined;
      try {
        m = broken(s);
      } catch {
        m = undefined;
      }
      expect(() => logContext(m)).not.toThrow();
      expect(() => safeCallId(m)).not.toThrow();
    }
    expect(logContext(undefined)).toEqual({ callId: undefined, method: undefined, cseq: undefined, status: undefined });
  });
});
