/**
 * tm's own replies (100 Trying, t_reply) are written straight from the request: the top Via carries the
 * rport/received the transport added, every other Via follows in order (values after the first on the top
 * line too), To gets our tag on a final reply and never on a 100 (RFC 3261 8.2.6, RFC 3581).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, request, headerOf, headersOf, statusOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';

let p: Proxy;
let uac: UdpPeer;

beforeAll(async () => {
  p = await startProxy();
  uac = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  await p.stop();
});
beforeEach(async () => {
  p.routes.request = () => undefined;
  while (!(await uac.silent(20)));
});

/** The request with two more hops below the UAC's Via: one on the top Via line, one on a line of its own. */
function throughTwoHops(method: string, callId: string): string {
  return request(method, 'sip:nobody@127.0.0.1:9', uac.port, { callId }).replace(
    /^(Via: [^\r]*)\r\n/m,
    '$1, SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKhop2\r\nVia: SIP/2.0/TCP 192.0.2.8;branch=z9hG4bKhop1\r\n',
  );
}

describe('local replies', () => {
  it('t_reply: rport filled in on the top Via, the other Vias in order, our To tag', async () => {
    p.routes.request = (ctx) => ctx.t_reply(486, 'Busy Here');
    await uac.send(throughTwoHops('INVITE', 'lr-486'), p.port);
    const r = await uac.next();
    expect(statusOf(r.text)).toBe(486);
    const vias = headersOf(r.text, 'Via');
    expect(vias).toEqual([
      `SIP/2.0/UDP 127.0.0.1:${uac.port};branch=${/branch=([^;,]*)/.exec(vias[0] ?? '')?.[1]};rport=${uac.port};received=127.0.0.1, SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKhop2`,
      'SIP/2.0/TCP 192.0.2.8;branch=z9hG4bKhop1',
    ]);
    expect(headerOf(r.text, 'To')).toMatch(/^<sip:bob@example\.com>;tag=\S+$/);
    expect(headerOf(r.text, 'Call-ID')).toBe('lr-486');
    expect(headerOf(r.text, 'CSeq')).toBe('1 INVITE');
    expect(headerOf(r.text, 'Content-Length')).toBe('0');
  });

  it('100 Trying of t_relay: same Vias, no To tag', async () => {
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(throughTwoHops('INVITE', 'lr-100'), p.port);
    const r = await uac.next();
    expect(statusOf(r.text)).toBe(100);
    const vias = headersOf(r.text, 'Via');
    expect(vias).toHaveLength(2);
    expect(vias[0]).toMatch(
      new RegExp(
        `^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${uac.port};branch=z9hG4bK\\S+;rport=${uac.port};received=127\\.0\\.0\\.1, SIP/2\\.0/UDP 192\\.0\\.2\\.7:5070;branch=z9hG4bKhop2$`,
      ),
    );
    expect(vias[1]).toBe('SIP/2.0/TCP 192.0.2.8;branch=z9hG4bKhop1');
    expect(headerOf(r.text, 'To')).toBe('<sip:bob@example.com>');
  });
});
