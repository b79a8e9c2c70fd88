import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';
import type { NameAddr } from '../../src/message/headers/name-addr.js';
import { splitList } from '../../src/message/headers/split.js';
import { Hdr } from '../../src/message/header-names.js';
import { nameAddrOf } from '../../src/uri/name-addr.js';

function caught(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return { code: e.code, message: e.message, offset: e.offset };
  }
}

/** Everything a NameAddr exposes (the URI or its deferred error included), or the error reading it threw. */
function view(fn: () => NameAddr[]): unknown {
  return caught(() => fn().map((a) => ({ displayName: a.displayName, tag: a.tag, raw: a.raw, params: [...a.params], uri: caught(() => a.uri.toString()) })));
}

function message(from: string, routes: string[]): Buffer {
  const r = routes.map((v) => `Route: ${v}\r\n`).join('');
  return Buffer.from(
    `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n${r}From: ${from}\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n`,
    'latin1',
  );
}

/** The string path: parseNameAddrParts over the whole value (From) or the split values (Route). */
function slow(buf: Buffer, id: number, header: string, list: boolean): NameAddr[] {
  const m = parseMessage(buf);
  const out: NameAddr[] = [];
  for (let k = 0; k < m.count; k++) {
    if (m.idAt(k) !== id) continue;
    for (const t of list ? splitList(m.valueAt(k)) : [m.valueAt(k)]) out.push(nameAddrOf(t, header, m.valueOffset(k)));
  }
  return out;
}

const display = fc.constantFrom('', '"Alice" ', '"Alice"', '"A \\"q\\"" ', 'Bob ', 'Bob Smith ', 'Bob\t', 'B@d ', '"unterminated ', 'x');
const uri = fc.constantFrom('sip:a@h', 'sip:198.51.100.20;lr;ftag=9f', 'sip:a@h h', 'sips:[2001:db8::1]:5061;transport=tls', 'tel:+1-555', 'sip:', 'http://x', '');
const param = fc.constantFrom(';tag=9fx', ';TAG=T', ';tag', ';tag=', ';lr', ';x="a b"', ';x=1;tag=t2', ' ;tag=sp', ';', ';e\u00e9=1', ';a=b c');
const value = fc.tuple(display, fc.boolean(), uri, fc.array(param, { maxLength: 3 })).map(([d, angle, u, ps]) => (angle || d !== '' ? `${d}<${u}>` : u) + ps.join(''));
const line = fc.array(value, { minLength: 1, maxLength: 3 }).chain((vs) => fc.constantFrom(', ', ',', ' ,\t').map((sep) => vs.join(sep)));

describe('name-addr from bytes', () => {
  it('reads the same From and Routes (fields, params, tag, URI or its error) as parseNameAddrParts', () => {
    fc.assert(
      fc.property(value, fc.array(line, { maxLength: 3 }), (from, routes) => {
        const buf = message(from, routes);
        expect(view(() => [parseMessage(buf).from])).toEqual(view(() => slow(buf, Hdr.From, 'From', false)));
        expect(view(() => parseMessage(buf).routes)).toEqual(view(() => slow(buf, Hdr.Route, 'Route', true)));
      }),
      { numRuns: 800 },
    );
  });

  it('reads the usual shapes with the tag picked and the URI left as text', () => {
    const m = parseMessage(message('"Alice" <sip:alice@a.example.com>;tag=9fx;x=1', ['<sip:p1;lr>, Proxy Two <sip:p2;lr;ftag=a,b>', '<sip:p3>']));
    expect([m.from.displayName, m.from.tag, m.from.uri.user, m.from.params.get('x')]).toEqual(['Alice', '9fx', 'alice', '1']);
    expect(m.routes.map((r) => [r.displayName, r.raw, r.uri.toString()])).toEqual([
      [undefined, '<sip:p1;lr>', 'sip:p1;lr'],
      ['Proxy Two', 'Proxy Two <sip:p2;lr;ftag=a,b>', 'sip:p2;lr;ftag=a,b'],
      [undefined, '<sip:p3>', 'sip:p3'],
    ]);
  });
});
