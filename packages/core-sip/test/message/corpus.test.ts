import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { SipParseError } from '../../src/message/parse-error.js';
import type { SipMessage } from '../../src/message/message.js';
import { ACCESSORS, loadCorpus, type Accessor } from './corpus.js';

const corpus = loadCorpus();

function read(m: SipMessage, a: Accessor): unknown {
  return m[a];
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return e.code;
  }
}

/** Where each invalid message must be caught, and with which code (RFC 4475 3.1.2). */
const INVALID: Record<string, { stage: 'parse' | 'validate' | Accessor; code: string }> = {
  badinv01: { stage: 'validate', code: 'E_PARSE_VIA' },
  clerr: { stage: 'parse', code: 'E_PARSE_CONTENT_LENGTH' },
  ncl: { stage: 'parse', code: 'E_PARSE_CONTENT_LENGTH' },
  scalar02: { stage: 'validate', code: 'E_PARSE_RANGE' },
  scalarlg: { stage: 'validate', code: 'E_PARSE_RANGE' },
  quotbal: { stage: 'validate', code: 'E_PARSE_HEADER' },
  ltgtruri: { stage: 'parse', code: 'E_PARSE_START_LINE' },
  lwsruri: { stage: 'parse', code: 'E_PARSE_START_LINE' },
  lwsstart: { stage: 'parse', code: 'E_PARSE_START_LINE' },
  trws: { stage: 'parse', code: 'E_PARSE_START_LINE' },
  escruri: { stage: 'validate', code: 'E_PARSE_URI' },
  // A proxy does not use Date: the message passes validate(), the Date accessor rejects the EST zone.
  baddate: { stage: 'date', code: 'E_PARSE_HEADER' },
  // Only a registrar reads Contact: the accessor rejects the unbracketed URI with "?".
  regbadct: { stage: 'contacts', code: 'E_PARSE_HEADER' },
  badaspec: { stage: 'validate', code: 'E_PARSE_URI' },
  baddn: { stage: 'parse', code: 'E_PARSE_TRUNCATED' },
  badvers: { stage: 'validate', code: 'E_PARSE_VERSION' },
  mismatch01: { stage: 'validate', code: 'E_PARSE_CSEQ' },
  mismatch02: { stage: 'validate', code: 'E_PARSE_CSEQ' },
  bigcode: { stage: 'validate', code: 'E_PARSE_STATUS' },
};

/**
 * RFC 4475 3.3 messages are well-formed but the RFC wants a 400 from the layer above the parser; validate()
 * is that layer for a proxy, so it rejects them with these codes while parse and every accessor succeed.
 */
const VALID_BUT_400: Record<string, string> = {
  insuf: 'E_PARSE_MISSING_HEADER',
  multi01: 'E_PARSE_DUPLICATE_HEADER',
  mcl01: 'E_PARSE_CONTENT_LENGTH',
};

describe('RFC 4475 corpus', () => {
  it('has all 49 messages and an expectation for every invalid one', () => {
    expect(corpus).toHaveLength(49);
    for (const e of corpus) if (e.expected === 'invalid') expect(INVALID[e.name], e.name).toBeDefined();
  });

  for (const entry of corpus.filter((e) => e.expected === 'valid')) {
    it(`valid ${entry.name} (${entry.section}) parses, validates and every accessor reads`, () => {
      const m = parseMessage(entry.bytes);
      const want = VALID_BUT_400[entry.name];
      if (want === undefined) expect(() => m.validate()).not.toThrow();
      else expect(codeOf(() => m.validate())).toBe(want);
      for (const a of ACCESSORS) {
        if (a === 'uri' && !m.isRequest) continue;
        const code = codeOf(() => read(m, a));
        // insuf has no From/To/Call-ID: those accessors say so, the others work.
        if (entry.name === 'insuf' && (a === 'from' || a === 'to' || a === 'callId')) expect(code).toBe('E_PARSE_MISSING_HEADER');
        else expect(code, `${entry.name}.${a}`).toBeUndefined();
      }
    });
  }

  for (const entry of corpus.filter((e) => e.expected === 'invalid')) {
    const exp = INVALID[entry.name] ?? { stage: 'parse', code: '?' };
    it(`invalid ${entry.name} (${entry.section}) is rejected at ${exp.stage} with ${exp.code}`, () => {
      let m: SipMessage;
      try {
        m = parseMessage(entry.bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SipParseError);
        expect(exp.stage).toBe('parse');
        expect((e as SipParseError).code).toBe(exp.code);
        expect((e as SipParseError).message.length).toBeGreaterThan(10);
        return;
      }
      expect(exp.stage).not.toBe('parse');
      if (exp.stage === 'validate') {
        expect(codeOf(() => m.validate())).toBe(exp.code);
      } else {
        expect(codeOf(() => read(m, exp.stage as Accessor))).toBe(exp.code);
      }
      // Whatever else is read, nothing but SipParseError comes out.
      for (const a of ACCESSORS) if (a !== 'uri' || m.isRequest) codeOf(() => read(m, a));
    });
  }
});

describe('RFC 4475 details', () => {
  const msg = (name: string): SipMessage => {
    const e = corpus.find((c) => c.name === name);
    if (e === undefined) throw new Error(name);
    return parseMessage(e.bytes);
  };

  it('wsinv: folded headers are unfolded, LWS around separators is accepted', () => {
    const m = msg('wsinv');
    expect(m.to.uri.toString()).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(m.to.tag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.from.tag).toBe('98asjd8');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.header('Subject')).toBe('');
    expect(m.header('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.via.map((v) => [v.protocol, v.transport, v.host, v.branch])).toEqual([
      ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
      ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.contacts[0]?.displayName).toBe('Quoted string ""');
    expect(m.contacts[0]?.q).toBe(0.33);
    expect(m.contacts[0]?.params.get('newparam')).toBe('newvalue');
    expect(m.contacts[0]?.params.get('secondparam')).toBeNull();
    expect(m.routes[0]?.uri.lr).toBe(true);
    expect(m.body.length).toBe(150);
  });

  it('intmeth: token-character method, odd URI with password, raw NUL in a quoted display name', () => {
    const m = msg('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.cseq.method).toBe(m.method);
    expect(m.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(m.uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(m.uri.host).toBe('example.com');
    expect(m.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from.params.get("fromParam''~+*_!.-%")).toBe('"работающий"');
    expect(m.from.tag).toBe("_token~1'+`*%!-.");
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.header("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('esc01/escnull: escapes stay as written; unescaping is explicit', () => {
    const e = msg('esc01');
    expect(e.uri.user).toBe('sips%3Auser%40example.com');
    expect(e.uri.userUnescaped()).toBe('sips:user@example.com');
    expect(e.to.uri.user).toBe('%75se%72');
    expect(e.contacts[0]?.uri.params.get('n%61me')).toBe('v%61lue%25%34%31');
    const n = msg('escnull');
    expect(n.to.uri.user).toBe('null-%00-null');
    expect(n.contacts.map((c) => c.uri.user)).toEqual(['%00', '%00%00']);
    expect(n.contacts[1]?.uri.userUnescaped()).toBe('\0\0');
  });

  it('esc02: % in a method and in a header name is no escape', () => {
    const m = msg('esc02');
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.contacts).toHaveLength(2);
    expect(m.header('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: display name directly followed by <', () => {
    const f = msg('lwsdisp').from;
    expect(f.displayName).toBe('caller');
    expect(f.uri.user).toBe('caller');
  });

  it('longreq: 34 Vias in mixed-case long and compact names, long values', () => {
    const m = msg('longreq');
    expect(m.via).toHaveLength(34);
    expect(m.headerValues('v')).toHaveLength(34);
    expect(m.topVia.host).toBe('sip33.example.com');
    expect(m.via[33]?.received).toBe('192.0.2.5');
    expect(
      m.to.uri.params.get('verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue'),
    ).toBeNull();
    expect(m.callId.length).toBeGreaterThan(100);
  });

  it('dblreq: bytes after Content-Length (a second request) are ignored', () => {
    const m = msg('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(m.raw.length).toBeGreaterThan(m.bodyEnd + 100);
    expect(m.headerValues('Call-ID')).toHaveLength(1);
  });

  it('semiuri: ; inside the user part of the Request-URI', () => {
    const u = msg('semiuri').uri;
    expect(u.user).toBe('user;par=u%40example.net');
    expect(u.host).toBe('example.com');
    expect(u.params.size).toBe(0);
  });

  it('transports: each Via transport is read', () => {
    expect(msg('transports').via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('mpart01: 553-byte binary multipart body kept intact', () => {
    const e = corpus.find((c) => c.name === 'mpart01');
    const m = msg('mpart01');
    expect(m.contentLength).toBe(553);
    expect(m.body.length).toBe(553);
    expect(e?.bytes.subarray(e.bytes.length - 553).equals(m.body)).toBe(true);
    expect(m.body.includes(0)).toBe(true);
    expect(m.contentType).toBe('multipart/mixed;boundary=7a9cbec02ceef655');
  });

  it('unreason/noreason: UTF-8 and empty reason phrases', () => {
    const u = msg('unreason');
    expect(u.status).toBe(200);
    expect(u.reason.startsWith('= 2**3 * 5**2 \u043d\u043e')).toBe(true);
    const n = msg('noreason');
    expect(n.status).toBe(100);
    expect(n.reason).toBe('');
  });

  it('unkscm/novelsc/unksm2: unknown schemes are kept opaque', () => {
    expect(msg('unkscm').uri.scheme).toBe('nobodyknowsthisscheme');
    expect(msg('unkscm').uri.opaque).toBe('totallyopaquecontent');
    expect(msg('novelsc').uri.toString()).toBe('soap.beep://192.0.2.103:3002');
    const m = msg('unksm2');
    expect(m.to.uri.scheme).toBe('isbn');
    expect(m.from.uri.opaque).toBe('//www.example.com');
    expect(m.contacts[0]?.uri.scheme).toBe('name');
  });

  it('cparam01/cparam02: addr-spec params belong to the header, bracketed ones to the URI', () => {
    const a = msg('cparam01').contacts[0];
    expect(a?.params.has('unknownparam')).toBe(true);
    expect(a?.uri.params.size).toBe(0);
    const b = msg('cparam02').contacts[0];
    expect(b?.params.size).toBe(0);
    expect(b?.uri.params.has('unknownparam')).toBe(true);
  });

  it('regescrt: escaped Route header inside a bracketed Contact URI', () => {
    expect(msg('regescrt').contacts[0]?.uri.headers.get('Route')).toBe('%3Csip:sip.example.com%3E');
  });

  it('regaut01: unknown auth scheme keeps its params', () => {
    const [a] = msg('regaut01').authorization;
    expect(a?.scheme).toBe('NoOneKnowsThisScheme');
    expect(a?.params.get('opaque-data')).toBe('here');
  });

  it('bext01/zeromf/badbranch/inv2543: values the application layer acts on', () => {
    expect(msg('bext01').require).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(msg('bext01').headerList('Proxy-Require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
    expect(msg('zeromf').maxForwards).toBe(0);
    expect(msg('badbranch').topVia.branch).toBe('z9hG4bK');
    const old = msg('inv2543');
    expect(old.topVia.branch).toBeUndefined();
    expect(old.maxForwards).toBeUndefined();
    expect(old.body.length).toBe(old.raw.length - old.bodyStart);
  });

  it('clerr/ncl/baddn: the error carries a partial message good enough for a 400', () => {
    // What a 400 copies from each message, as the files have it.
    const expected = {
      clerr: { branch: 'z9hG4bK-39234-23523', callId: 'clerr.0ha0isndaksdjweiafasdk3', cseq: { seq: 8, method: 'INVITE' } },
      ncl: { branch: 'z9hG4bKkdjuw', callId: 'ncl.0ha0isndaksdj2193423r542w35', cseq: { seq: 0, method: 'INVITE' } },
      baddn: { branch: 'z9hG4bKkdjuw', callId: 'baddn.31415@c.example.com', cseq: { seq: 3923239, method: 'OPTIONS' } },
    };
    for (const [name, want] of Object.entries(expected)) {
      const e = corpus.find((c) => c.name === name);
      let err: SipParseError | undefined;
      try {
        parseMessage(e?.bytes ?? Buffer.alloc(0));
      } catch (x) {
        err = x as SipParseError;
      }
      expect(err?.partial, name).toBeDefined();
      const p = err?.partial as SipMessage;
      expect({ branch: p.topVia.branch, callId: p.callId, cseq: { seq: p.cseq.seq, method: p.cseq.method } }, name).toEqual(want);
    }
  });

  it('error messages say what and where', () => {
    const e = corpus.find((c) => c.name === 'badinv01');
    const m = parseMessage(e?.bytes ?? Buffer.alloc(0));
    expect(() => m.via).toThrowErrorMatchingInlineSnapshot(`[SipParseError: Via header at offset 217: empty parameter]`);
    const sc = parseMessage(corpus.find((c) => c.name === 'scalar02')?.bytes ?? Buffer.alloc(0));
    expect(() => sc.maxForwards).toThrowErrorMatchingInlineSnapshot(`[SipParseError: Max-Forwards header at offset 269: 300 exceeds 255]`);
  });
});
