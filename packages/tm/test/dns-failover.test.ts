import { describe, expect, it } from 'vitest';
import { parseUri } from '@core/sip';
import { literalTarget, locate, type DnsResolver } from '../src/dns-failover.js';

/** A resolver answering from a table (what a zone would hold); unknown names fail like NXDOMAIN. */
function zone(records: {
  naptr?: Record<string, Awaited<ReturnType<DnsResolver['resolveNaptr']>>>;
  srv?: Record<string, Awaited<ReturnType<DnsResolver['resolveSrv']>>>;
  a?: Record<string, string[]>;
}): DnsResolver {
  const miss = (n: string) => Promise.reject(Object.assign(new Error(`ENOTFOUND ${n}`), { code: 'ENOTFOUND' }));
  return {
    resolveNaptr: (h) => (records.naptr?.[h] ? Promise.resolve(records.naptr[h]) : miss(h)),
    resolveSrv: (h) => (records.srv?.[h] ? Promise.resolve(records.srv[h]) : miss(h)),
    resolve4: (h) => (records.a?.[h] ? Promise.resolve(records.a[h]) : miss(h)),
    resolve6: (h) => miss(h),
  };
}

async function all(uri: string, r: DnsResolver): Promise<string[]> {
  const c = await locate(parseUri(uri), r);
  const out: string[] = [];
  for (let t = await c.next(); t !== undefined; t = await c.next()) out.push(`${t.proto}:${t.address}:${t.port}`);
  return out;
}

describe('RFC 3263 location', () => {
  it('walks NAPTR → SRV (by priority) → A, giving each next destination in turn', async () => {
    const r = zone({
      naptr: {
        'example.test': [
          { flags: 's', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.test', order: 20, preference: 0 },
          { flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test', order: 10, preference: 0 },
        ],
      },
      srv: {
        '_sip._udp.example.test': [
          { priority: 20, weight: 0, port: 5070, name: 'b.example.test' },
          { priority: 10, weight: 0, port: 5060, name: 'a.example.test' },
        ],
        '_sip._tcp.example.test': [{ priority: 10, weight: 0, port: 5080, name: 'a.example.test' }],
      },
      a: { 'a.example.test': ['127.0.0.1'], 'b.example.test': ['127.0.0.2'] },
    });
    expect(await all('sip:bob@example.test', r)).toEqual(['udp:127.0.0.1:5060', 'udp:127.0.0.2:5070', 'tcp:127.0.0.1:5080']);
  });

  it('uses SRV when there is no NAPTR, A on the default port when there is no SRV, A only with a port or an IP', async () => {
    const r = zone({
      srv: { '_sip._tcp.s.test': [{ priority: 1, weight: 1, port: 5999, name: 'h.test' }] },
      a: { 'h.test': ['127.0.0.3'], 'plain.test': ['127.0.0.4'], 's.test': ['127.0.0.9'] },
    });
    expect(await all('sip:s.test', r)).toEqual(['tcp:127.0.0.3:5999']);
    expect(await all('sip:plain.test', r)).toEqual(['udp:127.0.0.4:5060']);
    expect(await all('sip:s.test:5062', r)).toEqual(['udp:127.0.0.9:5062']);
    expect(await all('sip:127.0.0.1;transport=tcp', r)).toEqual(['tcp:127.0.0.1:5060']);
    expect(await all('sips:plain.test', r)).toEqual(['tls:127.0.0.4:5061']);
  });
});

describe('IP literal destinations', () => {
  const t = (uri: string) => {
    const x = literalTarget(parseUri(uri));
    return x === undefined ? undefined : `${x.proto}:${x.address}:${x.port}`;
  };
  it('give their one target with no lookup, as locate() would, transport and maddr included', async () => {
    const uris = [
      'sip:bob@192.0.2.1',
      'sip:bob@192.0.2.1:5070',
      'sip:bob@[2001:db8::1]:5080;transport=tcp',
      'sips:bob@192.0.2.1',
      'sip:bob@192.0.2.1;transport=TLS',
      'sip:bob@example.test;maddr=192.0.2.9',
    ];
    expect(uris.map(t)).toEqual(['udp:192.0.2.1:5060', 'udp:192.0.2.1:5070', 'tcp:2001:db8::1:5080', 'tls:192.0.2.1:5061', 'tls:192.0.2.1:5061', 'udp:192.0.2.9:5060']);
    // Same answer as the resolver-driven path (which never asks the resolver for a literal).
    for (const u of uris) expect(await all(u, zone({}))).toEqual([t(u)]);
  });
  it('leave names to locate()', () => {
    expect(t('sip:bob@example.test')).toBeUndefined();
    expect(t('sip:bob@example.test:5070')).toBeUndefined();
  });
});
