import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { loadCorpus } from './corpus.js';

const REQ = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP b.example.com;branch=z9hG4bKb',
  'v: SIP/2.0/TCP c.example.com;branch=z9hG4bKc',
  'Max-Forwards: 70',
  'Route: <sip:p1.example.com;lr>,',
  '  <sip:p2.example.com;lr>',
  'Record-Route: <sip:rr1.example.com;lr>',
  'To: <sip:bob@biloxi.example.com>',
  'From: <sip:alice@atlanta.example.com>;tag=1',
  'Call-ID: abc',
  'CSeq: 1 INVITE',
  'X-Custom: keep me',
  'Content-Type: application/sdp',
  'Content-Length: 5',
  '',
  'hello',
].join('\r\n');

describe('MessageEdit', () => {
  it('round-trips every corpus message byte for byte', () => {
    for (const e of loadCorpus()) {
      let m;
      try {
        m = parseMessage(e.bytes);
      } catch {
        continue;
      }
      expect(m.edit().toBuffer().equals(e.bytes.subarray(0, m.bodyEnd)), e.name).toBe(true);
      // An edit that touches nothing in the middle keeps the rest identical too.
      const out = m.edit().addHeader('X-T', '1').toBuffer();
      expect(out.length, e.name).toBe(m.bodyEnd + 'X-T: 1\r\n'.length);
      expect(out.subarray(0, m.headersEnd).equals(e.bytes.subarray(0, m.headersEnd)), e.name).toBe(true);
    }
  });

  it('pushVia/popVia handle values sharing a line', () => {
    const m = parseMessage(Buffer.from(REQ));
    const pushed = parseMessage(m.edit().pushVia('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp').toBuffer());
    expect(pushed.via.map((v) => v.host)).toEqual(['proxy.example.com', 'a.example.com', 'b.example.com', 'c.example.com']);
    const popped = m.edit().popVia().toBuffer();
    expect(popped.toString()).toContain('\r\nVia: SIP/2.0/UDP b.example.com;branch=z9hG4bKb\r\nv: SIP/2.0/TCP');
    const p2 = parseMessage(m.edit().popVia().popVia().toBuffer());
    expect(p2.via.map((v) => v.host)).toEqual(['c.example.com']);
    expect(p2.headerNames()[0]).toBe('v');
    const p3 = parseMessage(m.edit().popVia().popVia().popVia().popVia().toBuffer());
    expect(p3.via).toEqual([]);
    expect(p3.body.toString()).toBe('hello');
  });

  it('a lone popVia (a relayed reply) cuts from the index what the line list would, for every Via shape and the corpus', () => {
    const reply = (via: string): string =>
      `SIP/2.0 200 OK\r\n${via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\nhi`;
    const shapes = [
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1',
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1 ,\t SIP/2.0/UDP b;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1,',
      'v: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP a;branch="z9hG4bK,1", SIP/2.0/UDP b;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n SIP/2.0/UDP b;branch=z9hG4bK2',
      'X-No-Via: 1',
    ];
    const inputs = [...shapes.map((v) => Buffer.from(reply(v))), ...loadCorpus().map((e) => e.bytes)];
    for (const bytes of inputs) {
      let m;
      try {
        m = parseMessage(bytes);
      } catch {
        continue;
      }
      const fast = m.edit().popVia().toBuffer();
      // Removing a header that is not there builds the line list without changing anything else.
      const viaLines = m.edit().popVia().removeHeader('X-Not-There').toBuffer();
      expect(fast.toString('latin1'), bytes.toString('latin1').slice(0, 120)).toBe(viaLines.toString('latin1'));
    }
    const two = parseMessage(Buffer.from(reply(shapes[1]!)))
      .edit()
      .popVia()
      .toBuffer()
      .toString();
    expect(two).toContain('\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nFrom:');
    expect(
      parseMessage(Buffer.from(reply(shapes[3]!)))
        .edit()
        .popVia()
        .toBuffer()
        .toString(),
    ).not.toContain('Via');
  });

  it('popRoute removes the first value of a folded multi-value Route', () => {
    const m = parseMessage(Buffer.from(REQ));
    const r1 = parseMessage(m.edit().popRoute().toBuffer());
    expect(r1.routes.map((r) => r.uri.host)).toEqual(['p2.example.com']);
    const r2 = parseMessage(m.edit().popRoute().popRoute().toBuffer());
    expect(r2.hasHeader('Route')).toBe(false);
    expect(r2.header('X-Custom')).toBe('keep me');
  });

  it('insertBefore, addHeader top/bottom, removeHeader, replaceHeader', () => {
    const m = parseMessage(Buffer.from(REQ));
    const out = parseMessage(
      m
        .edit()
        .insertBefore('Record-Route', 'Record-Route', '<sip:me.example.com;lr>')
        .addHeader('X-Top', 't', 'top')
        .addHeader('X-Bottom', 'b')
        .removeHeader('x-custom')
        .replaceHeader('Call-ID', 'new-id')
        .toBuffer(),
    );
    expect(out.recordRoutes.map((r) => r.uri.host)).toEqual(['me.example.com', 'rr1.example.com']);
    expect(out.headerNames()[0]).toBe('X-Top');
    expect(out.headerNames().at(-1)).toBe('X-Bottom');
    expect(out.hasHeader('X-Custom')).toBe(false);
    expect(out.callId).toBe('new-id');
    expect(out.body.toString()).toBe('hello');
    // insertBefore with no such header goes on top.
    const none = parseMessage(parseMessage(Buffer.from(REQ)).edit().removeHeader('Record-Route').toBuffer());
    expect(parseMessage(none.edit().insertBefore('Record-Route', 'Record-Route', '<sip:x;lr>').toBuffer()).headerNames()[0]).toBe('Record-Route');
  });

  it('setRuri, setMaxForwards, setBody rewrite only what they own', () => {
    const m = parseMessage(Buffer.from(REQ));
    const buf = m.edit().setRuri('sip:bob@192.0.2.4:5062;transport=tcp').setMaxForwards(69).toBuffer();
    const out = parseMessage(buf);
    expect(out.ruri).toBe('sip:bob@192.0.2.4:5062;transport=tcp');
    expect(out.uri.port).toBe(5062);
    expect(out.maxForwards).toBe(69);
    expect(buf.toString().replace('sip:bob@192.0.2.4:5062;transport=tcp', 'sip:bob@biloxi.example.com').replace('Max-Forwards: 69', 'Max-Forwards: 70')).toBe(REQ);
    const b = parseMessage(
      m
        .edit()
        .setBody(Buffer.from([118, 61, 48, 13, 10, 0, 255]), 'application/other')
        .toBuffer(),
    );
    expect(b.contentLength).toBe(7);
    expect(b.contentType).toBe('application/other');
    expect(b.headerValues('Content-Length')).toEqual(['7']);
    const empty = parseMessage(m.edit().setBody(Buffer.alloc(0)).toBuffer());
    expect(empty.contentLength).toBe(0);
    expect(empty.hasHeader('Content-Type')).toBe(false);
    expect(() => empty.validate()).not.toThrow();
    // Max-Forwards is added when missing.
    const noMf = parseMessage(m.edit().removeHeader('Max-Forwards').toBuffer());
    expect(parseMessage(noMf.edit().setMaxForwards(70).toBuffer()).maxForwards).toBe(70);
  });

  it('edits are independent and leave the message untouched', () => {
    const m = parseMessage(Buffer.from(REQ));
    const a = m.edit().popVia();
    const b = m.edit();
    expect(parseMessage(a.toBuffer()).via).toHaveLength(2);
    expect(b.toBuffer().toString()).toBe(REQ);
    expect(m.via).toHaveLength(3);
  });

  it('setRuri on a response is refused', () => {
    const r = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n'));
    expect(() => r.edit().setRuri('sip:x')).toThrow('setRuri on a response');
  });

  it('writes new UTF-8 text, original spans and a new body into one buffer of the exact size', () => {
    const m = parseMessage(Buffer.from(REQ));
    const out = m.edit().setRuri('sip:zo%C3%AB@h').addHeader('Subject', 'café ☕', 'top').popVia().setBody(Buffer.from('v=0\r\n'), 'application/sdp').toBuffer();
    const text = out.toString('utf8');
    expect(out.length).toBe(Buffer.byteLength(text));
    expect(text.startsWith('INVITE sip:zo%C3%AB@h SIP/2.0\r\nSubject: café ☕\r\n')).toBe(true);
    expect(text.endsWith('\r\n\r\nv=0\r\n')).toBe(true);
    const back = parseMessage(out);
    expect([back.ruri, back.header('Subject'), back.contentLength, back.via.length]).toEqual(['sip:zo%C3%AB@h', 'café ☕', 5, m.via.length - 1]);
    expect(back.body.toString()).toBe('v=0\r\n');
  });
});
