import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/message/parse-error.js';
import { formatUri, parseUri, uriEquals } from '../../src/uri/uri.js';
import { parseNameAddr } from '../../src/uri/name-addr.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SipParseError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseUri', () => {
  it('splits a full sip URI and returns the original text', () => {
    const t = 'sip:alice:secret@atlanta.example.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent';
    const u = parseUri(t);
    expect([u.scheme, u.user, u.password, u.host, u.port]).toEqual(['sip', 'alice', 'secret', 'atlanta.example.com', 5061]);
    expect(u.transport()).toBe('tcp');
    expect(u.lr).toBe(true);
    expect(u.params.get('LR')).toBeNull();
    expect(u.maddr).toBe('239.255.255.1');
    expect(u.headers.get('subject')).toBe('project%20x');
    expect(u.headers.get('priority')).toBe('urgent');
    expect(u.toString()).toBe(t);
    expect(formatUri(u)).toBe('sip:alice:secret@atlanta.example.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  });

  it('IPv6 references keep their brackets; hostAddress strips them', () => {
    const u = parseUri('sips:[2001:db8::10]:5061;transport=tls');
    expect([u.scheme, u.host, u.port, u.isIPv6, u.hostAddress()]).toEqual(['sips', '[2001:db8::10]', 5061, true, '2001:db8::10']);
    expect(parseUri('sip:bob@[::1]').hostAddress()).toBe('::1');
    expect(code(() => parseUri('sip:[2001:db8::1'))).toBe('E_PARSE_URI');
    expect(code(() => parseUri('sip:[zz]'))).toBe('E_PARSE_URI');
  });

  it('keeps escapes as written and unescapes on request', () => {
    const u = parseUri('sip:%61lice%20smith@example.com');
    expect(u.user).toBe('%61lice%20smith');
    expect(u.userUnescaped()).toBe('alice smith');
    expect(parseUri('sip:a%ZZb@h').userUnescaped()).toBe('a%ZZb');
    expect(parseUri('sip:%e2%82%ac@h').userUnescaped()).toBe('\u20ac');
  });

  it('handles uppercase scheme and modification', () => {
    const u = parseUri('SIP:Example.COM;foo');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBeUndefined();
    expect(u.params.get('foo')).toBeNull();
    expect(u.toString()).toBe('SIP:Example.COM;foo');
    u.port = 5080;
    expect(u.toString()).toBe('sip:Example.COM:5080;foo');
    const v = parseUri('sip:a@b;x=1');
    v.params.set('lr', null);
    expect(v.toString()).toBe('sip:a@b;x=1;lr');
    v.params.delete('x');
    expect(v.toString()).toBe('sip:a@b;lr');
  });

  it('tel: URIs keep the number and params', () => {
    const u = parseUri('tel:+1-201-555-0123;phone-context=example.com;ext=22');
    expect([u.scheme, u.user, u.host]).toEqual(['tel', '+1-201-555-0123', '']);
    expect(u.params.get('phone-context')).toBe('example.com');
    expect(u.toString()).toBe('tel:+1-201-555-0123;phone-context=example.com;ext=22');
    expect(code(() => parseUri('tel:;x=1'))).toBe('E_PARSE_URI');
  });

  it('unknown schemes are opaque', () => {
    const u = parseUri('urn:service:sos');
    expect([u.scheme, u.opaque, u.host, u.user]).toEqual(['urn', 'service:sos', '', undefined]);
    expect(u.toString()).toBe('urn:service:sos');
  });

  it('rejects malformed URIs with E_PARSE_URI and a position', () => {
    for (const bad of [
      '',
      'sip:',
      'sip:@host',
      'sip:a@',
      'sip:host:port',
      'sip:host:70000',
      'sip:a b@c',
      '<sip:a@b>',
      'sip:h;;x',
      'sip:h;=x',
      'sip:h?a',
      '1sip:x',
      'nocolon',
      'sip:h^x',
    ]) {
      expect(
        code(() => parseUri(bad)),
        bad,
      ).toBe('E_PARSE_URI');
    }
    try {
      parseUri('sip:host:99999');
    } catch (e) {
      expect((e as SipParseError).message).toBe('URI "sip:host:99999" at offset 9: port out of range');
      expect((e as SipParseError).offset).toBe(9);
    }
  });
});

describe('uriEquals (RFC 3261 19.1.4)', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));

  it('the RFC examples of equal URIs', () => {
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(eq('sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com')).toBe(true);
    expect(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x')).toBe(true);
  });

  it('the RFC examples of different URIs', () => {
    expect(eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp')).toBe(false);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
    expect(eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4')).toBe(false);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off')).toBe(false);
    expect(eq('sip:a@b', 'sips:a@b')).toBe(false);
    expect(eq('sip:a:x@b', 'sip:a@b')).toBe(false);
  });

  it('tel and opaque URIs', () => {
    expect(eq('tel:+1-201-555-0123', 'tel:+1.201.555.0123')).toBe(true);
    expect(eq('tel:+1-201-555-0123', 'tel:+1-201-555-0124')).toBe(false);
    expect(eq('urn:a:b', 'urn:a:b')).toBe(true);
    expect(eq('urn:a:b', 'urn:a:c')).toBe(false);
  });
});

describe('parseNameAddr', () => {
  it('quoted display names with escaped quotes, token names, no LWS before <', () => {
    const a = parseNameAddr('"Mr. \\"J\\" User" <sip:j@example.com;lr>;tag=x;foo');
    expect([a.displayName, a.uri.host, a.uri.lr, a.tag, a.params.get('foo')]).toEqual(['Mr. "J" User', 'example.com', true, 'x', null]);
    const b = parseNameAddr('Bob Smith<sip:bob@b.example.com>');
    expect([b.displayName, b.uri.user]).toEqual(['Bob Smith', 'bob']);
    const c = parseNameAddr('<sip:c@d>');
    expect(c.displayName).toBeUndefined();
  });

  it('addr-spec form: parameters belong to the header', () => {
    const a = parseNameAddr('sip:alice@atlanta.example.com;tag=88 ');
    expect([a.uri.toString(), a.tag, a.uri.params.size]).toEqual(['sip:alice@atlanta.example.com', '88', 0]);
  });

  it('rejects what must be quoted or bracketed', () => {
    expect(code(() => parseNameAddr('Bell, Alexander <sip:a@b>'))).toBe('E_PARSE_HEADER');
    expect(code(() => parseNameAddr('"unterminated <sip:a@b>'))).toBe('E_PARSE_HEADER');
    expect(code(() => parseNameAddr('sip:a@b?Route=x'))).toBe('E_PARSE_HEADER');
    expect(code(() => parseNameAddr('<sip:a@b'))).toBe('E_PARSE_HEADER');
    expect(code(() => parseNameAddr('< sip:a@b >'))).toBe('E_PARSE_URI');
    expect(code(() => parseNameAddr(''))).toBe('E_PARSE_HEADER');
    expect(code(() => parseNameAddr('"x" sip:a@b'))).toBe('E_PARSE_HEADER');
  });
});
