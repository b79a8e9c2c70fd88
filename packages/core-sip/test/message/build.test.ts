import { describe, expect, it } from 'vitest';
import { buildRequest, buildResponse, generateBranch, generateCallId, generateTag, reasonPhrase } from '../../src/message/build.js';
import { parseMessage } from '../../src/message/parse.js';
import type { SipParseError } from '../../src/message/parse-error.js';
import type { SipMessage } from '../../src/message/message.js';
import { corpusMessage } from './corpus.js';

describe('builders', () => {
  it('buildRequest produces a message that parses and validates', () => {
    const buf = buildRequest({
      method: 'INVITE',
      ruri: 'sip:bob@example.com',
      via: ['SIP/2.0/UDP 127.0.0.1:5060;branch=' + generateBranch()],
      from: '<sip:alice@example.com>;tag=' + generateTag(),
      to: '<sip:bob@example.com>',
      callId: generateCallId('127.0.0.1'),
      cseq: 7,
      contact: '<sip:alice@127.0.0.1:5060>',
      routes: ['<sip:p1;lr>', '<sip:p2;lr>'],
      headers: [['Subject', 'hi']],
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
    });
    const m = parseMessage(buf);
    expect(() => m.validate()).not.toThrow();
    expect([m.method, m.cseq.seq, m.cseq.method, m.maxForwards, m.routes.length, m.header('Subject'), m.contentType]).toEqual([
      'INVITE',
      7,
      'INVITE',
      70,
      2,
      'hi',
      'application/sdp',
    ]);
    expect(m.body.toString()).toBe('v=0\r\n');
    expect(m.callId.endsWith('@127.0.0.1')).toBe(true);
  });

  it('buildResponse copies Via (all, in order), From, To, Call-ID, CSeq and adds the To tag (RFC 3261 8.2.6)', () => {
    const req = parseMessage(corpusMessage('longreq'));
    const res = parseMessage(buildResponse(req, 486, undefined, { toTag: 'abc', headers: [['Retry-After', '30']] }));
    expect(res.status).toBe(486);
    expect(res.reason).toBe('Busy Here');
    expect(res.via.map((v) => v.host)).toEqual(req.via.map((v) => v.host));
    expect(res.to.tag).toBe('abc');
    expect(res.to.uri.toString()).toBe(req.to.uri.toString());
    expect(res.from.tag).toBe(req.from.tag);
    expect(res.callId).toBe(req.callId);
    expect(res.cseq).toEqual(req.cseq);
    expect(res.header('Retry-After')).toBe('30');
    expect(res.contentLength).toBe(0);
    expect(() => res.validate()).not.toThrow();
  });

  it('keeps an existing To tag and never tags a 100', () => {
    const req = parseMessage(corpusMessage('wsinv'));
    expect(parseMessage(buildResponse(req, 200, 'OK', { toTag: 'new' })).to.tag).toBe('1918181833n');
    const plain = parseMessage(corpusMessage('esc01'));
    expect(parseMessage(buildResponse(plain, 100, undefined, { toTag: 'x' })).to.tag).toBeUndefined();
    expect(parseMessage(buildResponse(plain, 180, undefined, { toTag: 'x', body: Buffer.from('ab'), contentType: 'text/plain' })).body.toString()).toBe('ab');
  });

  it('builds a 400 from the partial message of a failed parse', () => {
    let partial: SipMessage | undefined;
    try {
      parseMessage(corpusMessage('clerr'));
    } catch (e) {
      partial = (e as SipParseError).partial;
    }
    expect(partial).toBeDefined();
    let logged = '';
    try {
      parseMessage(corpusMessage('clerr'));
    } catch (e) {
      logged = JSON.stringify(e);
    }
    // What a logger serializes: the code and offset, not the partial message and its raw bytes.
    expect(logged).toContain('"code":"E_PARSE_CONTENT_LENGTH"');
    expect(logged).not.toContain('partial');
    const res = parseMessage(buildResponse(partial!, 400, 'Bad Content-Length'));
    expect(res.reason).toBe('Bad Content-Length');
    expect(res.callId).toBe('clerr.0ha0isndaksdjweiafasdk3');
    expect(() => res.validate()).not.toThrow();
    // insuf has no From/To/Call-ID: the reply still carries what there is.
    const insuf = parseMessage(buildResponse(parseMessage(corpusMessage('insuf')), 400));
    expect(insuf.hasHeader('From')).toBe(false);
    expect(insuf.cseq.seq).toBe(193942);
  });

  it('reason phrases and generated identifiers', () => {
    expect(reasonPhrase(200)).toBe('OK');
    expect(reasonPhrase(505)).toBe('Version Not Supported');
    expect(reasonPhrase(499)).toBe('Client Error');
    const b = new Set(Array.from({ length: 2000 }, () => generateBranch()));
    expect(b.size).toBe(2000);
    for (const x of b) expect(x).toMatch(/^z9hG4bK[0-9a-f]{24}$/);
    expect(generateTag()).toMatch(/^[0-9a-f]{16}$/);
    expect(generateCallId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
