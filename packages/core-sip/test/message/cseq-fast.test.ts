import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';
import { parseCSeq } from '../../src/message/headers/cseq.js';
import type { CSeq } from '../../src/message/headers/cseq.js';

function view(fn: () => CSeq): unknown {
  try {
    return { ...fn() };
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return { code: e.code, message: e.message, offset: e.offset };
  }
}

function message(method: string, cseq: string): Buffer {
  return Buffer.from(
    `${method} sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: ${cseq}\r\n\r\n`,
    'latin1',
  );
}

const num = fc.constantFrom('1', '0', '314159', '007', '999999999', '4294967295', '4294967296', '12345678901', '', '-1', '1a');
const ws = fc.constantFrom(' ', '  ', '\t', '', ' \t ');
const method = fc.constantFrom('INVITE', 'ACK', 'BYE', 'invite', 'FOO', 'INV ITE', 'INV\u00e9', '', 'REGISTER', 'X.Y');

describe('CSeq from bytes', () => {
  it('reads the same CSeq (or error) as parseCSeq over the value', () => {
    fc.assert(
      fc.property(fc.constantFrom('INVITE', 'BYE', 'OPTIONS', 'FOO'), num, ws, method, (reqMethod, n, sp, m) => {
        const buf = message(reqMethod, `${n}${sp}${m}`);
        const msg = parseMessage(buf);
        const k = msg.findHeader(4, '', 0);
        expect(view(() => msg.cseq)).toEqual(view(() => parseCSeq(msg.valueAt(k), msg.valueOffset(k))));
      }),
      { numRuns: 400 },
    );
  });

  it('shares the start line method string and interns common methods', () => {
    const m = parseMessage(message('INVITE', '314159 INVITE'));
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    const r = parseMessage(
      Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 2 BYE\r\n\r\n', 'latin1'),
    );
    expect(r.cseq).toEqual({ seq: 2, method: 'BYE' });
  });
});

describe('large messages', () => {
  it('decodes only the head of a message over 8 KiB and still reads its headers and body', () => {
    const body = 'x'.repeat(20000);
    const head = `MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "A" <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: ${body.length}\r\n\r\n`;
    const m = parseMessage(Buffer.from(head + body, 'latin1'));
    expect([m.via[0]?.branch, m.from.tag, m.from.displayName, m.callId, m.cseq.seq, m.body.length]).toEqual(['z9hG4bK1', '1', 'A', 'x', 1, body.length]);
    const lf = parseMessage(Buffer.from(head.replace(/\r\n/g, '\n') + body, 'latin1'));
    expect([lf.via[0]?.branch, lf.header('Content-Length'), lf.body.length]).toEqual(['z9hG4bK1', String(body.length), body.length]);
    // Headers of 8,000 bytes and more: the head is found past the first lines.
    const bigHeader = `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-Big: ${'y'.repeat(8000)}\r\nCall-ID: late\r\n\r\n${'z'.repeat(1000)}`;
    const bm = parseMessage(Buffer.from(bigHeader, 'latin1'));
    expect([bm.callId, bm.header('X-Big')?.length, bm.body.length]).toEqual(['late', 8000, 1000]);
    // No empty line at all: still the truncation error, not a crash.
    expect(() => parseMessage(Buffer.from(bigHeader.slice(0, bigHeader.indexOf('\r\n\r\n')) + '\r\n' + 'w'.repeat(2000), 'latin1'))).toThrow(SipParseError);
  });
});
