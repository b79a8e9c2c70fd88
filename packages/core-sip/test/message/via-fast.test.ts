import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';
import { parseVia } from '../../src/message/headers/via.js';
import type { Via } from '../../src/message/headers/via.js';
import { splitList } from '../../src/message/headers/split.js';

/** Everything a Via exposes, or the error it throws. */
function view(fn: () => Via[]): unknown {
  try {
    return fn().map((v) => ({ ...v, params: [...v.params], text: v.params.toString() }));
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return { code: e.code, message: e.message, offset: e.offset };
  }
}

function message(viaLines: string[]): Buffer {
  const vias = viaLines.map((v) => `Via: ${v}\r\n`).join('');
  return Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${vias}From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n`, 'latin1');
}

/** The string path: every element of every Via line through parseVia, with the line's value offset. */
function slow(buf: Buffer): Via[] {
  const m = parseMessage(buf);
  const out: Via[] = [];
  for (let k = 0; k < m.count; k++) {
    if (m.idAt(k) !== 0) continue;
    for (const t of splitList(m.valueAt(k))) out.push(parseVia(t, m.valueOffset(k)));
  }
  return out;
}

const piece = fc.constantFrom(
  'SIP/2.0/UDP',
  'SIP/2.0/TCP',
  'SIP/2.0/TLS',
  'SIP/2.0/udp',
  'SIP/2.0/WSS',
  'SIP/2.0/SCTP',
  'SIP/2.0/XYZ',
  'SIP / 2.0 / UDP',
  'sip/2.0/UDP',
  'SIP/2.0/',
  'SIP/3.0/UDP',
);
const host = fc.constantFrom('h', '192.0.2.1', 'a-b.example_x.com', '[2001:db8::1]', '', 'h h', 'h\u00e9');
const port = fc.constantFrom('', ':5060', ':0', ':65535', ':65536', ':', ':abc', ' : 5070', ':005060');
const param = fc.constantFrom(
  ';branch=z9hG4bK1',
  ';BRANCH=z9hG4bKX',
  ';branch=b2',
  ';rport',
  ';rport=5060',
  ';rport=70000',
  ';rport=1e3',
  ';rport=',
  ';received=10.0.0.1',
  ';RECEIVED=1.2.3.4',
  ';maddr=224.0.0.1',
  ';ttl=1',
  ';x="a;b"',
  ';x="a,b"',
  ';',
  ' ; lr',
  ';a=b c',
  ';=v',
  ';branch=',
  ';e\u00e9=1',
);
const value = fc
  .tuple(piece, fc.constantFrom(' ', '  ', '\t'), host, port, fc.array(param, { maxLength: 5 }))
  .map(([p, sp, h, po, ps]) => `${p}${sp}${h}${po}${ps.join('')}`);
const line = fc.array(value, { minLength: 1, maxLength: 3 }).chain((vs) => fc.constantFrom(', ', ',', ' ,\t').map((sep) => vs.join(sep)));

describe('Via from bytes', () => {
  it('reads the same Vias (every field, params and errors) as parseVia over the split values', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 3 }), (lines) => {
        const buf = message(lines);
        const fast = view(() => parseMessage(buf).via);
        expect(fast).toEqual(view(() => slow(buf)));
        const top = view(() => [parseMessage(buf).topVia]);
        const all = fast as { code?: string }[] | { code: string };
        if (Array.isArray(all) && Array.isArray(top)) expect(top[0]).toEqual(all[0]);
      }),
      { numRuns: 600 },
    );
  });

  it('reads the usual shapes from the bytes with the picked params', () => {
    const m = parseMessage(
      message(['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport;received=10.0.0.1, SIP/2.0/TCP h;BRANCH=b;maddr=m', 'SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3']),
    );
    expect(m.via.map((v) => [v.protocol, v.transport, v.host, v.port, v.branch, v.rport, v.received, v.maddr, v.raw])).toEqual([
      ['SIP/2.0', 'UDP', '192.0.2.1', 5060, 'z9hG4bK1', null, '10.0.0.1', undefined, 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport;received=10.0.0.1'],
      ['SIP/2.0', 'TCP', 'h', undefined, 'b', undefined, undefined, 'm', 'SIP/2.0/TCP h;BRANCH=b;maddr=m'],
      ['SIP/2.0', 'TLS', '[2001:db8::1]', 5061, 'z9hG4bK3', undefined, undefined, undefined, 'SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3'],
    ]);
    expect(m.via[0]?.params.toString()).toBe(';branch=z9hG4bK1;rport;received=10.0.0.1');
  });
});
