/**
 * DNS failover end to end (RFC 3263 through our own DNS server on 127.0.0.1, the `dns_servers` modparam)
 * and TCP faults: a connection refused (transport-level failover) and a connection that drops in the middle
 * of a transaction (no retransmission over TCP, timeout → next destination or 408, nothing leaked).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, request, statusOf, replyTo, methodOf, nextMatching, headerOf, finalOf } from '@tsips/testkit';
import { TcpPeer } from './support/tcp-peer.js';
import { DnsServer } from './support/dns-server.js';
import { startProxy, type Proxy } from './support/proxy.js';

let dns: DnsServer;
let p: Proxy;
let uac: UdpPeer;
let first: UdpPeer;
let second: UdpPeer;

async function deadUdpPort(): Promise<number> {
  const d = await UdpPeer.open();
  const port = d.port;
  d.close();
  return port;
}

async function deadTcpPort(): Promise<number> {
  const d = await TcpPeer.open();
  const port = d.port;
  await d.close();
  return port;
}

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
    udpZone('t1.test', await deadUdpPort(), second.port);
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
    expect(await second.silent(300)).toBe(true);
  });

  it('flag 0x4 on a timeout: 408 upstream, no second branch', async () => {
    udpZone('t4.test', await deadUdpPort(), second.port);
    p.routes.request = (ctx) => ctx.t_relay('0x5');
    await uac.send(request('OPTIONS', 'sip:bob@t4.test', uac.port, { callId: 'dns-0x4-timeout' }), p.port);
    const r = await finalOf(uac, 'dns-0x4-timeout');
    expect(statusOf(r.text)).toBe(408);
    expect(await second.silent(100)).toBe(true);
  });
});

describe('TCP faults', () => {
  it('a refused connection fails over to the next SRV target at once (transport level)', async () => {
    const b = await TcpPeer.open();
    dns.zone = {
      srv: { '_sip._tcp.tcp1.test': [{ priority: 1, weight: 0, port: await deadTcpPort(), name: 'a.tcp1.test' }, { priority: 2, weight: 0, port: b.port, name: 'b.tcp1.test' }] },
      a: { 'a.tcp1.test': ['127.0.0.1'], 'b.tcp1.test': ['127.0.0.1'] },
    };
    p.routes.request = (ctx) => ctx.t_relay();
    const t0 = Date.now();
    await uac.send(request('OPTIONS', 'sip:bob@tcp1.test;transport=tcp', uac.port, { callId: 'tcp-refused' }), p.port);
    const got = await b.next();
    expect(Date.now() - t0).toBeLessThan(900); // not after a timeout
    expect(headerOf(got, 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
    b.send(replyTo(got, 200, 'OK', { toTag: 't' }));
    expect(statusOf((await finalOf(uac, 'tcp-refused')).text)).toBe(200);
    await b.close();
  });

  it('a connection dropped mid-transaction: no retransmission, 408 after fr_timer, nothing left in memory', async () => {
    const t = await TcpPeer.open();
    p.routes.request = (ctx) => ctx.t_relay(`tcp:127.0.0.1:${t.port}`);
    await uac.send(request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop' }), p.port);
    expect(statusOf((await uac.next()).text)).toBe(100);
    expect(methodOf(await t.next())).toBe('INVITE');
    await t.die();
    const r = await finalOf(uac, 'tcp-drop');
    expect(statusOf(r.text)).toBe(408);
    expect(t.received).toHaveLength(1);
    await uac.send(request('ACK', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop', toTag: /tag=([^;\s]+)/.exec(headerOf(r.text, 'To') ?? '')?.[1] }), p.port);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000 }).toBe(0);
  });

  it('a connection dropped after a 180: 408 after fr_inv_timer (the CANCEL cannot go), nothing left', async () => {
    const t = await TcpPeer.open();
    p.routes.request = (ctx) => ctx.t_relay(`tcp:127.0.0.1:${t.port}`, '0x1');
    await uac.send(request('INVITE', 'sip:bob@127.0.0.1', uac.port, { callId: 'tcp-drop-180' }), p.port);
    const inv = await t.next();
    t.send(replyTo(inv, 180, 'Ringing', { toTag: 'r' }));
    expect(statusOf((await uac.next()).text)).toBe(180);
    await t.die();
    const t0 = Date.now();
    const r = await finalOf(uac, 'tcp-drop-180', 4000);
    expect(statusOf(r.text)).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500); // fr_inv_timer is 2 s
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 4000 }).toBe(0);
  });

  it('a connection dropped mid-transaction with another SRV target: the call moves there after fr_timer', async () => {
    const a = await TcpPeer.open();
    const b = await TcpPeer.open();
    dns.zone = {
      srv: { '_sip._tcp.tcp2.test': [{ priority: 1, weight: 0, port: a.port, name: 'a.tcp2.test' }, { priority: 2, weight: 0, port: b.port, name: 'b.tcp2.test' }] },
      a: { 'a.tcp2.test': ['127.0.0.1'], 'b.tcp2.test': ['127.0.0.1'] },
    };
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('INVITE', 'sip:bob@tcp2.test;transport=tcp', uac.port, { callId: 'tcp-drop-srv' }), p.port);
    expect(methodOf(await a.next())).toBe('INVITE');
    await a.die();
    const got = await b.next(3000);
    expect(methodOf(got)).toBe('INVITE');
    b.send(replyTo(got, 200, 'OK', { toTag: 'b' }));
    expect(statusOf((await finalOf(uac, 'tcp-drop-srv')).text)).toBe(200);
    await b.close();
  });
});
