import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';
import type { SipMessage } from '../../src/message/message.js';
import { ACCESSORS, loadCorpus } from './corpus.js';

const seeds = loadCorpus().map((e) => e.bytes);

/** Only SipParseError may escape the parser, the accessors, validate() or an edit. */
function exercise(buf: Buffer): void {
  let m: SipMessage;
  try {
    m = parseMessage(buf);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    if (e.partial === undefined) return;
    m = e.partial;
  }
  for (const a of ACCESSORS) {
    try {
      void m[a];
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }
  // Name-addr URIs and params are decoded on first use: those reads may only throw SipParseError too.
  for (const read of [() => m.from, () => m.to, () => m.routes, () => m.recordRoutes, () => m.contacts]) {
    try {
      const v = read();
      for (const a of Array.isArray(v) ? v : [v]) {
        void a.uri.toString();
        void [...a.params];
      }
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }
  try {
    for (const v of m.via) void [...v.params];
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
  try {
    m.validate();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
  m.headerNames();
  m.headerList('Via');
  try {
    m.edit().popVia().popRoute().setMaxForwards(1).toBuffer();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
}

/** A mutation of a corpus message: byte flips, deletions, insertions of SIP-significant bytes, truncation. */
const mutated = fc
  .tuple(
    fc.integer({ min: 0, max: seeds.length - 1 }),
    fc.array(
      fc.tuple(fc.constantFrom('flip', 'delete', 'insert', 'truncate'), fc.nat(), fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 60, 62, 64, 92, 0x80, 0xff, 0x41)),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([i, ops]) => {
    let b = Buffer.from(seeds[i] as Buffer);
    for (const [op, pos, byte] of ops) {
      if (b.length === 0) break;
      const at = pos % b.length;
      if (op === 'flip') b[at] = byte;
      else if (op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
      else b = b.subarray(0, at);
    }
    return b;
  });

describe('parser fuzz', () => {
  it('random mutations of corpus messages only ever raise SipParseError', () => {
    fc.assert(
      fc.property(mutated, (buf) => {
        exercise(buf);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes only ever raise SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        exercise(Buffer.from(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('the unmutated corpus passes the same harness', () => {
    for (const s of seeds) expect(() => exercise(s)).not.toThrow();
  });
});
