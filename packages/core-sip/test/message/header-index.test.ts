import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { CANONICAL_NAMES, HOT_MAX, knownNameAt, knownNameBeforeColon } from '../../src/message/header-names.js';

/** Names the parser must tell apart: known (any case, compact), their prefixes and extensions, unknown ones. */
const names = fc.oneof(
  fc.constantFrom(...CANONICAL_NAMES, 'v', 'V', 'f', 't', 'i', 'm', 'l', 'c', 'k', 'x', 'y', 'n', 'q'),
  fc.constantFrom(...CANONICAL_NAMES).chain((n) => fc.constantFrom(n.toUpperCase(), n.toLowerCase(), n.slice(0, -1), `${n}x`, `${n}-Ext`, `X-${n}`, `${n}_`, `${n}.1`)),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9.!%*_+`'~-]{0,20}$/),
);

describe('header index', () => {
  it('the colon-anchored name match agrees with the general one whenever it answers', () => {
    fc.assert(
      fc.property(names, fc.constantFrom(':', ' :', '\t:', ':x', ' ', ''), (name, after) => {
        const b = Buffer.from(`${name}${after}`, 'latin1');
        const fast = knownNameBeforeColon(b, 0);
        if (after.startsWith(':')) expect(fast).toBe(knownNameAt(b, 0));
        else expect(fast).toBe(-1);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the same header lines (id, name, first/last of each hot header) as a walk over the index', () => {
    // Digit values: a Content-Length among the names must still frame the (empty) body.
    const line = fc.tuple(names, fc.constantFrom(':', ' :', ':  ', '\t: '), fc.constantFrom('0', '00', '0 ')).map(([n, c, v]) => `${n}${c}${v}\r\n`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const m = parseMessage(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${lines.join('')}\r\n`, 'latin1'));
        expect(m.count).toBe(lines.length);
        for (let id = 0; id <= HOT_MAX; id++) {
          const walk: number[] = [];
          for (let k = 0; k < m.count; k++) if (m.idAt(k) === id) walk.push(k);
          const found: number[] = [];
          for (let k = m.findHeader(id, '', 0); k >= 0; k = m.findHeader(id, '', k + 1)) found.push(k);
          expect(found).toEqual(walk);
        }
        for (let k = 0; k < m.count; k++) {
          const name = m.nameAt(k);
          const b = Buffer.from(name, 'latin1');
          expect(m.idAt(k)).toBe(knownNameAt(b, 0));
        }
      }),
      { numRuns: 500 },
    );
  });
});
