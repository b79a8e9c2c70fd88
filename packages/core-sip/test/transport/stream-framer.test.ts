import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CL_ABSENT, CL_INVALID, StreamFramer, scanContentLength } from '../../src/transport/stream-framer.js';
import { sipRequest } from './helpers.js';

interface Run {
  framer: StreamFramer;
  messages: string[];
  pings: number;
  errors: string[];
}

function framer(max = 65535): Run {
  const run: Run = { framer: undefined as unknown as StreamFramer, messages: [], pings: 0, errors: [] };
  run.framer = new StreamFramer(max, {
    onMessage: (m) => run.messages.push(m.toString('latin1')),
    onPing: () => run.pings++,
    onError: (r) => run.errors.push(r),
  });
  return run;
}

const cl = (text: string): number => {
  const b = Buffer.from(text, 'latin1');
  return scanContentLength(b, 0, b.length);
};

describe('scanContentLength', () => {
  it('reads Content-Length in any case and the compact l with LWS around the colon', () => {
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: 12\r\n\r\n')).toBe(12);
    expect(cl('INVITE sip:a SIP/2.0\r\ncontent-LENGTH:7\r\n\r\n')).toBe(7);
    expect(cl('INVITE sip:a SIP/2.0\r\nl : 5 \r\n\r\n')).toBe(5);
    expect(cl('INVITE sip:a SIP/2.0\r\nL:\t3\r\n\r\n')).toBe(3);
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length:\r\n 9\r\n\r\n')).toBe(9);
  });

  it('ignores look-alike headers and the start line', () => {
    expect(cl('INVITE sip:l:5@a SIP/2.0\r\nContact: <sip:a>\r\nContent-Type: x\r\nLocation: 4\r\n\r\n')).toBe(CL_ABSENT);
    expect(cl('INVITE sip:a SIP/2.0\r\nContact: <sip:a>\r\nContent-Length: 0\r\n\r\n')).toBe(0);
  });

  it('rejects garbage, negative and conflicting values', () => {
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n')).toBe(CL_INVALID);
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: 12abc\r\n\r\n')).toBe(CL_INVALID);
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: \r\n\r\n')).toBe(CL_INVALID);
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: 4\r\nl: 5\r\n\r\n')).toBe(CL_INVALID);
    expect(cl('INVITE sip:a SIP/2.0\r\nContent-Length: 4\r\nl: 4\r\n\r\n')).toBe(4);
  });
});

describe('StreamFramer', () => {
  it('splits two messages written at once and frames bodies', () => {
    const r = framer();
    const a = sipRequest('a', 'v=0\r\n');
    const b = sipRequest('b', 'hello', true);
    r.framer.push(Buffer.concat([a, b]));
    expect(r.messages).toEqual([a.toString('latin1'), b.toString('latin1')]);
    expect(r.framer.pending).toBe(0);
  });

  it('reassembles a message trickled byte by byte, terminator and body included', () => {
    const r = framer();
    const a = sipRequest('a', 'body\r\n\r\nwith CRLFCRLF inside');
    for (const byte of a) r.framer.push(Buffer.from([byte]));
    expect(r.messages).toEqual([a.toString('latin1')]);
  });

  it('treats a missing Content-Length as an empty body', () => {
    const r = framer();
    r.framer.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\nOPTIONS sip:b SIP/2.0\r\n\r\n', 'latin1'));
    expect(r.messages).toHaveLength(2);
    expect(r.messages[1]).toBe('OPTIONS sip:b SIP/2.0\r\n\r\n');
  });

  it('answers CRLFCRLF pings between messages and skips lone CRLFs', () => {
    const r = framer();
    const a = sipRequest('a');
    r.framer.push(Buffer.from('\r\n\r\n', 'latin1'));
    expect(r.pings).toBe(1);
    r.framer.push(Buffer.concat([Buffer.from('\r\n'), a, Buffer.from('\r\n\r\n\r\n\r\n'), a]));
    expect(r.pings).toBe(3);
    expect(r.messages).toEqual([a.toString('latin1'), a.toString('latin1')]);
    // A ping split over two reads is still one ping.
    r.framer.push(Buffer.from('\r\n'));
    r.framer.push(Buffer.from('\r\n'));
    expect(r.pings).toBe(4);
  });

  it('fails on a message over the limit, headers or body', () => {
    const big = framer(100);
    big.framer.push(sipRequest('a', 'x'.repeat(200)));
    expect(big.errors).toEqual([expect.stringContaining('exceeds 100')]);
    expect(big.messages).toEqual([]);

    const noEnd = framer(100);
    noEnd.framer.push(Buffer.from(`OPTIONS sip:a SIP/2.0\r\nX: ${'y'.repeat(120)}`, 'latin1'));
    expect(noEnd.errors).toEqual([expect.stringContaining('without CRLFCRLF')]);
    // Nothing is framed after a failure: the stream cannot be resynchronised.
    noEnd.framer.push(sipRequest('b'));
    expect(noEnd.messages).toEqual([]);
  });

  it('fails on a bad Content-Length', () => {
    const r = framer();
    r.framer.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n', 'latin1'));
    expect(r.errors).toEqual(['invalid or conflicting Content-Length']);
  });

  it('frames any split of a message sequence the same way (property)', () => {
    const message = fc
      .tuple(
        fc.string({ maxLength: 8 }).map((s) => s.replace(/[^a-z0-9]/gi, 'x')),
        fc.string({ maxLength: 300 }),
        fc.boolean(),
      )
      .map(([id, body, compact]) => sipRequest(`c${id}`, body, compact));
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const all = Buffer.concat(msgs);
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((x, y) => x - y);
        const r = framer();
        let prev = 0;
        for (const p of [...points, all.length]) {
          r.framer.push(all.subarray(prev, p));
          prev = p;
        }
        expect(r.errors).toEqual([]);
        expect(r.messages).toEqual(msgs.map((m) => m.toString('latin1')));
      }),
      { numRuns: 300 },
    );
  });
});
