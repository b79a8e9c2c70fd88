import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport',
  'Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2;received=192.0.2.9;rport=5071, SIP/2.0/UDP h3;branch=z9hG4bK3',
  'Max-Forwards: 70',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Route: <sip:p3.example.com;lr>',
  'Record-Route: <sip:rr.example.com;lr>',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>;expires=60;q=0.5, "x" <sip:x@y>',
  'Expires: 120',
  'Event: presence;id=7',
  'Allow: INVITE, ACK, BYE',
  'Supported: timer, 100rel',
  'Authorization: Digest username="alice", realm="atlanta.example.com", nonce="84a4cc6f", uri="sip:bob@biloxi.example.com", response="7587245234b3434cc3412213e5f113a5432", qop=auth, nc=00000001, cnonce="0a4f113b"',
  'Proxy-Authenticate: Digest realm="atlanta.example.com", nonce="abc", opaque="", stale=TRUE, algorithm=MD5, qop="auth,auth-int"',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\r\n',
].join('\r\n');

function err(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('expected a SipParseError');
}

describe('parseMessage: well-formed messages', () => {
  const m = parseMessage(Buffer.from(INVITE));

  it('reads the start line and the generic header API', () => {
    expect([m.isRequest, m.method, m.ruri, m.version, m.status, m.reason]).toEqual([true, 'INVITE', 'sip:bob@biloxi.example.com', 'SIP/2.0', 0, '']);
    expect(m.header('call-id')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.header('i')).toBe(m.header('Call-ID'));
    expect(m.headerValues('Route')).toEqual(['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
    expect(m.headerList('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
    expect(m.headerList('From')).toEqual(['"Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774']);
    expect(m.hasHeader('Subject')).toBe(false);
    expect(m.hasHeader('EXPIRES')).toBe(true);
    expect(m.headerNames()[0]).toBe('Via');
    expect(m.headerNames()).toHaveLength(19);
    expect(m.body.toString()).toBe('v=0\r');
    expect(m.contentLength).toBe(4);
    expect(() => m.validate()).not.toThrow();
  });

  it('decodes Via values across lines and comma lists', () => {
    expect(m.via).toHaveLength(3);
    expect(m.topVia).toBe(m.via[0]);
    expect(m.topVia.rport).toBeNull();
    const v = m.via[1];
    expect([v?.transport, v?.host, v?.port, v?.received, v?.rport, v?.branch]).toEqual(['TCP', '[2001:db8::1]', 5070, '192.0.2.9', 5071, 'z9hG4bK2']);
    expect(m.via[2]?.raw).toBe('SIP/2.0/UDP h3;branch=z9hG4bK3');
  });

  it('splits Via, name-addr and URI params on first read, first value of a name wins, changes work before any read', () => {
    const p = parseMessage(Buffer.from(INVITE.replace('branch=z9hG4bK776asdhds;rport', 'BRANCH=z9hG4bK7 ; rport ;branch=b2;x="a;b";RECEIVED=10.0.0.1')));
    const v = p.topVia;
    expect([v.branch, v.rport, v.received, v.maddr]).toEqual(['z9hG4bK7', null, '10.0.0.1', undefined]);
    v.params.set('rport', '5060');
    expect(v.params.toString()).toBe(';BRANCH=z9hG4bK7;rport=5060;branch=b2;x="a;b";RECEIVED=10.0.0.1');
    expect(v.params.modified).toBe(true);
    const q = parseMessage(Buffer.from(INVITE.replace(';tag=1928301774', ';x=1;TAG=t1;tag=t2')));
    expect(q.from.tag).toBe('t1');
    expect(q.from.params.delete('x')).toBe(true);
    expect([...q.from.params]).toEqual([
      ['TAG', 't1'],
      ['tag', 't2'],
    ]);
    const r = q.routes[0]?.uri;
    expect(r?.params.modified).toBe(false);
    expect(r?.toString()).toBe('sip:p1.example.com;lr');
    expect([r?.params.size, r?.lr, r?.params.nameAt(0), r?.params.valueAt(0)]).toEqual([1, true, 'lr', null]);
    r?.params.set('ftag', 'f');
    expect(r?.toString()).toBe('sip:p1.example.com;lr;ftag=f');
    expect(q.to.params.size).toBe(0);
  });

  it('decodes address headers, contacts and small ones', () => {
    expect(m.from.displayName).toBe('Alice, A.');
    expect(m.from.tag).toBe('1928301774');
    expect(m.to.tag).toBeUndefined();
    expect(m.routes.map((r) => r.uri.host)).toEqual(['p1.example.com', 'p2.example.com', 'p3.example.com']);
    expect(m.recordRoutes[0]?.uri.lr).toBe(true);
    expect(m.contacts.map((c) => [c.uri.user, c.expires, c.q, c.displayName])).toEqual([
      ['alice', 60, 0.5, undefined],
      ['x', undefined, undefined, 'x'],
    ]);
    expect(m.contactStar).toBe(false);
    expect(m.expires).toBe(120);
    expect(m.event?.type).toBe('presence');
    expect(m.event?.params.get('id')).toBe('7');
    expect(m.allow).toEqual(['INVITE', 'ACK', 'BYE']);
    expect(m.supported).toEqual(['timer', '100rel']);
    expect(m.require).toEqual([]);
    expect(m.contentType).toBe('application/sdp');
    expect(m.uri.user).toBe('bob');
    expect(m.maxForwards).toBe(70);
  });

  it('decodes digest credentials and challenges', () => {
    const [a] = m.authorization;
    expect([a?.scheme, a?.username, a?.realm, a?.nonce, a?.uri, a?.qop, a?.nc, a?.cnonce]).toEqual([
      'Digest',
      'alice',
      'atlanta.example.com',
      '84a4cc6f',
      'sip:bob@biloxi.example.com',
      'auth',
      '00000001',
      '0a4f113b',
    ]);
    expect(a?.response).toBe('7587245234b3434cc3412213e5f113a5432');
    const [c] = m.proxyAuthenticate;
    expect([c?.realm, c?.opaque, c?.stale, c?.algorithm, c?.qop]).toEqual(['atlanta.example.com', '', true, 'MD5', 'auth,auth-int']);
    expect(m.wwwAuthenticate).toEqual([]);
    expect(m.proxyAuthorization).toEqual([]);
  });

  it('accepts a response, Contact: *, leading CRLFs, bare LF line ends, no Content-Length', () => {
    const r = parseMessage(
      Buffer.from(
        '\r\n\r\nSIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nContact: *\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\n\nbody',
      ),
    );
    expect([r.isRequest, r.status, r.reason, r.method, r.ruri]).toEqual([false, 486, 'Busy Here', '', '']);
    expect(r.contactStar).toBe(true);
    expect(r.contacts).toEqual([]);
    expect(r.body.toString()).toBe('body');
    expect(() => r.validate()).not.toThrow();
    expect(() => r.uri).toThrow(SipParseError);
  });

  it('decodes UTF-8 header values and names in a message with non-ASCII bytes, ASCII ones from the shared header text', () => {
    const utf =
      'OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: "Zoë Ångström" <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nSubject: café\r\n  au lait\r\nX-U: ü\r\n\r\n';
    const u = parseMessage(Buffer.from(utf, 'utf8'));
    expect(u.from.displayName).toBe('Zoë Ångström');
    expect(u.header('Subject')).toBe('café au lait');
    expect(u.headerNames()).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Subject', 'X-U']);
    expect(u.header('x-u')).toBe('ü');
    const a = parseMessage(Buffer.from(utf.replace(/[\u0080-\uffff]/g, 'o'), 'utf8'));
    expect(a.from.displayName).toBe('Zoo ongstrom');
    expect(a.header('Subject')).toBe('cafo au lait');
    expect(a.headerNames()[6]).toBe('X-U');
    expect(a.header('X-U')).toBe('o');
    expect(a.header('Call-ID')).toBe('x');
  });
});

describe('parseMessage: malformed input', () => {
  const ok =
    'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

  it('rejects empty, truncated and header-less input with coded errors', () => {
    expect(err(() => parseMessage(Buffer.alloc(0))).code).toBe('E_PARSE_START_LINE');
    expect(err(() => parseMessage(Buffer.from('\r\n\r\n'))).code).toBe('E_PARSE_START_LINE');
    expect(err(() => parseMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0'))).code).toBe('E_PARSE_START_LINE');
    for (let cut = 30; cut < ok.length - 2; cut += 7) {
      const e = err(() => parseMessage(Buffer.from(ok.slice(0, cut))));
      expect(['E_PARSE_TRUNCATED', 'E_PARSE_HEADER']).toContain(e.code);
    }
    const trunc = err(() => parseMessage(Buffer.from(ok.slice(0, -2))));
    expect(trunc.code).toBe('E_PARSE_TRUNCATED');
    expect(trunc.partial?.callId).toBe('x');
  });

  it('rejects binary garbage and broken header lines', () => {
    expect(err(() => parseMessage(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]))).code).toBe('E_PARSE_START_LINE');
    const noColon = err(() => parseMessage(Buffer.from(ok.replace('Call-ID: x', 'Call-ID x'))));
    expect(noColon.code).toBe('E_PARSE_HEADER');
    expect(noColon.message).toMatch(/offset \d+/);
    expect(err(() => parseMessage(Buffer.from(ok.replace('Call-ID', 'Call\x01ID')))).code).toBe('E_PARSE_HEADER');
    expect(err(() => parseMessage(Buffer.from(ok.replace('\r\nVia', '\r\n Via')))).code).toBe('E_PARSE_HEADER');
    expect(err(() => parseMessage(Buffer.from(ok.replace('sip:a@b', 'sip:a@b\x00')))).code).toBe('E_PARSE_START_LINE');
  });

  it('enforces the limits', () => {
    expect(err(() => parseMessage(Buffer.from(ok), { maxMessageSize: 50 })).code).toBe('E_PARSE_LIMIT');
    expect(err(() => parseMessage(Buffer.from(ok), { maxHeaders: 3 })).code).toBe('E_PARSE_LIMIT');
    expect(err(() => parseMessage(Buffer.from(ok), { maxLineLength: 20 })).code).toBe('E_PARSE_LIMIT');
    const many = ok.replace('Content-Length: 0\r\n', 'X-A: 1\r\n'.repeat(300) + 'Content-Length: 0\r\n');
    expect(err(() => parseMessage(Buffer.from(many))).code).toBe('E_PARSE_LIMIT');
    const long = ok.replace('Call-ID: x', `Call-ID: ${'x'.repeat(9000)}`);
    expect(err(() => parseMessage(Buffer.from(long))).code).toBe('E_PARSE_LIMIT');
    expect(parseMessage(Buffer.from(long), { maxLineLength: 10000 }).callId).toHaveLength(9000);
    expect(err(() => parseMessage(Buffer.alloc(70000, 65))).code).toBe('E_PARSE_LIMIT');
  });

  it('reports bad Content-Length at parse time with a partial message', () => {
    for (const v of ['-1', 'abc', '', '99999999999999']) {
      const e = err(() => parseMessage(Buffer.from(ok.replace('Content-Length: 0', `Content-Length: ${v}`))));
      expect(e.code).toBe('E_PARSE_CONTENT_LENGTH');
      expect(e.header).toBe('Content-Length');
      expect(e.partial?.method).toBe('OPTIONS');
    }
    const short = err(() => parseMessage(Buffer.from(ok.replace('Content-Length: 0', 'l: 10') + 'abc')));
    expect(short.code).toBe('E_PARSE_CONTENT_LENGTH');
    expect(short.partial?.topVia.branch).toBe('z9hG4bK1');
  });

  it('validate() names what is missing or wrong', () => {
    const v = (s: string): string => err(() => parseMessage(Buffer.from(s)).validate()).code;
    expect(v(ok.replace('Call-ID: x\r\n', ''))).toBe('E_PARSE_MISSING_HEADER');
    expect(err(() => parseMessage(Buffer.from(ok.replace('Call-ID: x\r\n', ''))).callId).message).toBe('missing Call-ID header');
    expect(v(ok.replace(/Via: [^\r]*\r\n/, ''))).toBe('E_PARSE_MISSING_HEADER');
    expect(v(ok.replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'))).toBe('E_PARSE_CSEQ');
    expect(v(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 1'))).toBe('E_PARSE_CSEQ');
    expect(v(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 1 OPTIONS extra'))).toBe('E_PARSE_CSEQ');
    expect(v(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 4294967296 OPTIONS'))).toBe('E_PARSE_RANGE');
    expect(parseMessage(Buffer.from(ok.replace('CSeq: 1 OPTIONS', 'CSeq: 4294967295 OPTIONS'))).cseq.seq).toBe(4294967295);
    expect(v(ok.replace('Call-ID: x', 'Call-ID: x y'))).toBe('E_PARSE_HEADER');
    expect(v(ok.replace('Call-ID: x', 'Max-Forwards: 256\r\nCall-ID: x'))).toBe('E_PARSE_RANGE');
    expect(v(ok.replace('Call-ID: x', 'Max-Forwards: x\r\nCall-ID: x'))).toBe('E_PARSE_HEADER');
    expect(v(ok.replace('Call-ID: x', 'Expires: 4294967296\r\nCall-ID: x'))).toBe('E_PARSE_RANGE');
    expect(v(ok.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toBe('E_PARSE_VERSION');
    expect(v(ok.replace('Via: SIP/2.0/UDP h;', 'Via: SIP/2.0/UDP ;'))).toBe('E_PARSE_VIA');
    expect(err(() => parseMessage(Buffer.from(ok.replace('Via: SIP/2.0/UDP h;', 'Via: SIP/2.0/UDP ;'))).topVia).message).toMatch(
      /^Via header at offset \d+: missing sent-by host$/,
    );
    expect(v(ok.replace('Via: SIP/2.0/UDP h;', 'Via: SIP/2.0/UDP h:70000;'))).toBe('E_PARSE_VIA');
    expect(v('SIP/2.0 99 Odd\r\n' + ok.slice(ok.indexOf('\r\n') + 2))).toBe('E_PARSE_STATUS');
  });

  it('validate() of a response leaves its From/To URIs alone (a proxy relays them untouched) but still needs the headers', () => {
    const reply =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h h>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    const m = parseMessage(Buffer.from(reply));
    expect(() => m.validate()).not.toThrow();
    expect(err(() => m.from.uri).code).toBe('E_PARSE_URI');
    expect(err(() => parseMessage(Buffer.from(reply.replace(/From: [^\r]*\r\n/, ''))).validate()).code).toBe('E_PARSE_MISSING_HEADER');
  });

  it('dropCaches() forgets decoded headers: the next read decodes again, equal values, new objects', () => {
    const m = parseMessage(Buffer.from(ok.replace('Call-ID: x', 'Route: <sip:p1;lr>\r\nCall-ID: x')));
    const before = { via: m.via, from: m.from, routes: m.routes, cseq: m.cseq, uri: m.uri };
    m.dropCaches();
    expect(m.from).not.toBe(before.from);
    expect(m.via).not.toBe(before.via);
    expect(m.routes).not.toBe(before.routes);
    expect(m.uri).not.toBe(before.uri);
    expect(m.from.tag).toBe(before.from.tag);
    expect(m.via.map((v) => v.branch)).toEqual(before.via.map((v) => v.branch));
    expect(m.routes[0]?.uri.lr).toBe(true);
    expect(m.cseq).toEqual(before.cseq);
    expect(m.uri.host).toBe(before.uri.host);
  });

  it('parses a name-addr URI on first use: the tag reads without it, a bad URI throws there and in validate()', () => {
    const bad = ok.replace(/From: [^\r]*/, 'From: "A" <sip:a@h h>;tag=77');
    const m = parseMessage(Buffer.from(bad));
    expect(m.from.tag).toBe('77');
    expect(m.from.displayName).toBe('A');
    const e = err(() => m.from.uri);
    expect(e.code).toBe('E_PARSE_URI');
    expect(e.message).toMatch(/^From header at offset \d+: URI "sip:a@h h" at offset 7: whitespace or control character$/);
    expect(e.offset).toBe(bad.indexOf('<sip:a@h h>') + 1 + 7);
    expect(err(() => parseMessage(Buffer.from(bad)).validate()).code).toBe('E_PARSE_URI');
    const r = parseMessage(Buffer.from(ok.replace('Call-ID: x', 'Route: <sip:p1;lr>, <sip:p 2;lr>\r\nCall-ID: x')));
    expect(r.routes).toHaveLength(2);
    expect(r.routes[0]?.uri.lr).toBe(true);
    expect(err(() => r.routes[1]?.uri).code).toBe('E_PARSE_URI');
  });
});
