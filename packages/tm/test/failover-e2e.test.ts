/**
 * DNS failover end to end (RFC 3263 through our own DNS server on 127.0.0.1, the `dns_servers` modparam)
 * and TCP faults: a connection refused (transport-level failover) and a connection that drops in the middle
 * of a transaction: the core reports the close, the branch fails at once as a transport error (RFC 3261
 * 16.9: a 503 for it) → next destination, else failure_route sees 503 and 500 goes upstream; nothing leaked.
 * The TCP tests run on a second proxy with long fr_timer/fr_inv_timer so "at once" is visibly not a timeout.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, freePort, request, statusOf, replyTo, methodOf, nextMatching, headerOf, finalOf } from '@tsips/testkit';
import { TcpPeer } from './support/tcp-peer.js';
import { DnsServer } from './support/dns-server.js';
import { startProxy, type Proxy } from './support/proxy.js';
import { expectNothingBeforeMarker } from './support/barrier.js';
import type { TmApi } from '../src/index.js';

let dns: DnsServer;
let p: Proxy;
let uac: UdpPeer;
let first: UdpPeer;
let second: UdpPeer;

beforeAll(async () => {
  dns = await DnsServer.start({});
  p = await startProxy({ dns_servers: dns.server }, ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0']);
  uac = await UdpPeer.open();
  first = await UdpPeer.open();
  second = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  first.close();
  second.close();
  dns.close();
  await p.stop();
});
beforeEach(async () => {
  for (const peer of [uac, first, second]) while (!(await peer.silent(20)));
});

/** NAPTR → SRV (udp) → two A targets on 127.0.0.1, `a` preferred. */
function udpZone(domain: string, aPort: number, bPort: number): void {
  dns.zone = {
    naptr: { [domain]: [{ order: 10, preference: 10, flags: 's', service: 'SIP+D2U', regexp: '', replacement: `_sip._udp.${domain}` }] },
    srv: {
      [`_sip._udp.${domain}`]: [
        { priority: 10, weight: 0, port: aPort, name: `a.${domain}` },
        { priority: 20, weight: 0, port: bPort, name: `b.${domain}` },
      ],
    },
    a: { [`a.${domain}`]: ['127.0.0.1'], [`b.${domain}`]: ['127.0.0.1'] },
  };
}

describe('DNS failover through a local DNS server (NAPTR → SRV → A)', () => {
  it('moves to the second target when the first never answers (timeout, no reply at all)', async () => {
    udpZone('t1.test', await freePort(), second.port);
    p.routes.request = (ctx) => ctx.t_relay();
    const t0 = Date.now();
    await uac.send(request('INVITE', 'sip:bob@t1.test', uac.port, { callId: 'dns-timeout' }), p.port);
    expect(statusOf((await uac.next()).text)).toBe(100);
    const inv = await second.next(3000);
    expect(methodOf(inv.text)).toBe('INVITE');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // after fr_timer (1 s)
    expect(dns.queries).toEqual(expect.arrayContaining(['35:t1.test', '33:_sip._udp.t1.test', '1:a.t1.test']));
    await second.send(replyTo(inv.text, 200, 'OK', { toTag: 's' }), p.port);
    const ok = await finalOf(uac, 'dns-timeout');
    expect(statusOf(ok.text)).toBe(200);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('moves to the second target on a 503 from the first (which is ACKed)', async () => {
    udpZone('t2.test', first.port, second.port);
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', 'sip:bob@t2.test', uac.port, { callId: 'dns-503' }), p.port);
    const a = await first.next();
    await first.send(replyTo(a.text, 503, 'Service Unavailable', { toTag: 'f' }), p.port);
    expect(methodOf((await nextMatching(first, (t) => methodOf(t) === 'ACK')).text)).toBe('ACK');
    const b = await second.next();
    expect(headerOf(b.text, 'Call-ID')).toBe('dns-503');
    await second.send(replyTo(b.text, 486, 'Busy Here', { toTag: 's' }), p.port);
    const busy = await finalOf(uac, 'dns-503');
    expect(statusOf(busy.text)).toBe(486); // the 503 of the first is not what goes upstream
  });

  it('flag 0x4 disables it: the 503 ends the transaction (500 upstream), the second target sees nothing', async () => {
    udpZone('t3.test', first.port, second.port);
    p.routes.request = (ctx) => ctx.t_relay('0x4');
    await uac.send(request('INVITE', 'sip:bob@t3.test', uac.port, { callId: 'dns-0x4' }), p.port);
    const a = await first.next();
    await first.send(replyTo(a.text, 503, 'Service Unavailable', { toTag: 'f' }), p.port);
    const r = await finalOf(uac, 'dns-0x4');
    expect(statusOf(r.text)).toBe(500); // RFC 3261 16.7 step 6: a 503 is not passed upstream
    await expectNothingBeforeMarker(p, second, 'dns-0x4');
  });

  it('flag 0x4 on a timeout: 408 upstream, no second branch', async () => {
    udpZone('t4.test', await freePort(), second.port);
    p.routes.request = (ctx) => ctx.t_relay('0x5');
    await uac.send(request('OPTIONS', 'sip:bob@t4.test', uac.port, { callId: 'dns-0x4-timeout' }), p.port);
    const r = await finalOf(uac, 'dns-0x4-timeout');
    expect(statusOf(r.text)).toBe(408);
    await expectNothingBeforeMarker(p, second, 'dns-0x4-timeout');
  });
});

/** The hop-by-hop ACK of a negative final reply (RFC 3261 17.1.1.3): the INVITE's Via, From, CSeq number; the reply's To. */
function ackFor(invite: string, final: string): string {
  const head = invite.slice(0, invite.indexOf('\r\n\r\n'));
  return (
    head
      .replace(/^INVITE /, 'ACK ')
      .replace(/^CSeq: (\d+) INVITE$/m, 'CSeq: $1 ACK')
      .replace(/^To: .*$/m, `To: ${headerOf(final, 'To') ?? ''}`)
      .replace(/^Content-Length: .*$/m, 'Content-Length: 0') + '\r\n\r\n'
  );
}

describe('TCP faults (fr_timer 10 s, fr_inv_timer 20 s)', () => {
  let q: Proxy;
  beforeAll(async () => {
    q = await startProxy({ dns_servers: dns.server, fr_timer: 10, fr_inv_timer: 20 }, ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0']);
  });
  afterAll(() => q.stop());

  it('a refused connection fails over to the next SRV target at once (transport level)', async () => {
    const b = await TcpPeer.open();
    dns.zone = {
      srv: {
        '_sip._tcp.tcp1.test': [
          { priority: 1, weight: 0, port: await freePort(), name: 'a.tcp1.test' },
          { priority: 2, weight: 0, port: b.port, name: 'b.tcp1.test' },
        ],
      },
      a: { 'a.tcp1.test': ['127.0.0.1'], 'b.tcp1.test': ['127.0.0.1'] },
    };
    q.routes.request = (ctx) => ctx.t_relay();
    const t0 = Date.now();
    await uac.send(request('OPTIONS', 'sip:bob@tcp1.test;transport=tcp', uac.port, { callId: 'tcp-refused' }), q.port);
    const got = await b.next();
    expect(Date.now() - t0).toBeLessThan(900); // not after a timeout
    expect(headerOf(got, 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
    b.send(replyTo(got, 200, 'OK', { toTag: 't' }));
    expect(statusOf((await finalOf(uac, 'tcp-refused')).text)).toBe(200);
    await b.close();
  });

  it('a connection dropped before any reply: the branch fails at once (no retransmission, 500 upstream, not 408 at fr_inv_timer), nothing left', async () => {
    const t = await TcpPeer.open();
    q.routes.request = (ctx) => ctx.t_relay(`tcp:127.0.0.1:${t.port}`);
    const invite = request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop' });
    await uac.send(invite, q.port);
    expect(statusOf((await uac.next()).text)).toBe(100);
    expect(methodOf(await t.next())).toBe('INVITE');
    const t0 = Date.now();
    await t.die();
    const r = await finalOf(uac, 'tcp-drop', 3000);
    expect(Date.now() - t0).toBeLessThan(1000); // fr_timer is 10 s
    expect(statusOf(r.text)).toBe(500); // RFC 3261 16.9 + 16.7 step 6: a transport error is a 503, never sent upstream
    expect(t.received).toHaveLength(1);
    await uac.send(ackFor(invite, r.text), q.port);
    await expect.poll(() => q.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('a connection dropped after a 180: the branch fails at once, failure_route sees 503, 500 upstream, nothing left', async () => {
    const t = await TcpPeer.open();
    const seen: number[] = [];
    q.routes.failure.tcpfail = (ctx) => {
      seen.push(ctx.T_reply_code(), ctx.t_check_status('503'));
    };
    q.routes.request = (ctx) => {
      ctx.t_on_failure('tcpfail');
      return ctx.t_relay(`tcp:127.0.0.1:${t.port}`, '0x1');
    };
    const invite = request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop-180' });
    await uac.send(invite, q.port);
    const inv = await t.next();
    t.send(replyTo(inv, 180, 'Ringing', { toTag: 'r' }));
    expect(statusOf((await uac.next()).text)).toBe(180);
    const t0 = Date.now();
    await t.die();
    const r = await finalOf(uac, 'tcp-drop-180', 3000);
    expect(Date.now() - t0).toBeLessThan(1000); // fr_inv_timer is 20 s
    expect(statusOf(r.text)).toBe(500);
    expect(seen).toEqual([503, 1]);
    expect(t.received).toHaveLength(1); // the peer is gone: the best-effort CANCEL found no connection
    await uac.send(ackFor(invite, r.text), q.port);
    await expect.poll(() => q.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('a connection dropped mid-transaction with another SRV target: the call moves there at once', async () => {
    const a = await TcpPeer.open();
    const b = await TcpPeer.open();
    dns.zone = {
      srv: {
        '_sip._tcp.tcp2.test': [
          { priority: 1, weight: 0, port: a.port, name: 'a.tcp2.test' },
          { priority: 2, weight: 0, port: b.port, name: 'b.tcp2.test' },
        ],
      },
      a: { 'a.tcp2.test': ['127.0.0.1'], 'b.tcp2.test': ['127.0.0.1'] },
    };
    q.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', 'sip:bob@tcp2.test;transport=tcp', uac.port, { callId: 'tcp-drop-srv' }), q.port);
    expect(methodOf(await a.next())).toBe('INVITE');
    const t0 = Date.now();
    await a.die();
    const got = await b.next(3000);
    expect(Date.now() - t0).toBeLessThan(1000); // fr_inv_timer is 20 s
    expect(methodOf(got)).toBe('INVITE');
    b.send(replyTo(got, 200, 'OK', { toTag: 'b' }));
    expect(statusOf((await finalOf(uac, 'tcp-drop-srv')).text)).toBe(200);
    await b.close();
  });

  it('a non-INVITE whose connection drops fails at once too', async () => {
    const t = await TcpPeer.open();
    q.routes.request = (ctx) => ctx.t_relay(`tcp:127.0.0.1:${t.port}`);
    await uac.send(request('OPTIONS', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop-options' }), q.port);
    expect(methodOf(await t.next())).toBe('OPTIONS');
    const t0 = Date.now();
    await t.die();
    const r = await finalOf(uac, 'tcp-drop-options', 3000);
    expect(Date.now() - t0).toBeLessThan(1000); // fr_timer is 10 s
    expect(statusOf(r.text)).toBe(500);
    await expect.poll(() => q.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('a connection that closes after the final reply changes nothing', async () => {
    const t = await TcpPeer.open();
    q.routes.request = (ctx) => ctx.t_relay(`tcp:127.0.0.1:${t.port}`);
    await uac.send(request('OPTIONS', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-close-after' }), q.port);
    const got = await t.next();
    t.send(replyTo(got, 200, 'OK', { toTag: 'x' }));
    expect(statusOf((await finalOf(uac, 'tcp-close-after')).text)).toBe(200);
    const conns = q.server.transport.connectionCount();
    await t.die();
    // The close reached the proxy (its connection is gone) before the barrier.
    await expect.poll(() => q.server.transport.connectionCount()).toBe(conns - 1);
    await expectNothingBeforeMarker(q, uac, 'tcp-close-after');
    await expect.poll(() => q.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('a request tm originates (UAC API) whose connection drops ends at once with 503, no reply', async () => {
    const t = await TcpPeer.open();
    const api = q.server.loader.apiOf('tm')!.api as TmApi;
    const h = api.request({
      method: 'BYE',
      ruri: `sip:bob@127.0.0.1:${t.port};transport=tcp`,
      from: '<sip:a@127.0.0.1>;tag=f',
      to: '<sip:bob@127.0.0.1>;tag=t',
      callId: 'tcp-drop-uac',
    });
    expect(methodOf(await t.next())).toBe('BYE');
    const t0 = Date.now();
    await t.die();
    const o = await h.done;
    expect(Date.now() - t0).toBeLessThan(1000); // fr_timer is 10 s
    expect([o.code, o.reply]).toEqual([503, undefined]);
  });
});
