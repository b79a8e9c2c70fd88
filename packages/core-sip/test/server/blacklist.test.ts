import { describe, expect, it } from 'vitest';
import { Blacklists } from '../../src/server/blacklist.js';

describe('dst_blacklist rules', () => {
  const bl = new Blacklists({
    gw: ['tcp:192.0.2.10:5060', 'any:192.0.2.11', '198.51.100.0/24', '[2001:db8::1]:5070', '2001:db8:ff::/48'],
    other: ['203.0.113.1'],
  });

  it('match by proto, address or subnet, and port (0 or none is any)', () => {
    const m = (proto: 'udp' | 'tcp' | 'tls', a: string, port: number) => bl.matches(['gw'], proto, a, port);
    expect(m('tcp', '192.0.2.10', 5060)).toBe(true);
    expect(m('udp', '192.0.2.10', 5060)).toBe(false); // other proto
    expect(m('tcp', '192.0.2.10', 5061)).toBe(false); // other port
    expect(m('tls', '192.0.2.11', 1)).toBe(true);
    expect(m('udp', '198.51.100.77', 5060)).toBe(true);
    expect(m('udp', '198.51.101.1', 5060)).toBe(false);
    expect(m('udp', '2001:db8::1', 5070)).toBe(true);
    expect(m('udp', '2001:db8::1', 5060)).toBe(false);
    expect(m('udp', '2001:db8:ff:1::9', 5060)).toBe(true);
    expect(m('udp', 'example.com', 5060)).toBe(false); // only resolved addresses are checked
  });

  it('only the named lists apply', () => {
    expect(bl.matches(['other'], 'udp', '192.0.2.11', 5060)).toBe(false);
    expect(bl.matches(['other', 'gw'], 'udp', '192.0.2.11', 5060)).toBe(true);
    expect(bl.matches([], 'udp', '192.0.2.11', 5060)).toBe(false);
    expect(bl.has('gw') && !bl.has('nope')).toBe(true);
  });

  it.each([
    ['udp:host.example:5060', 'not of the form'],
    ['999.1.1.1', 'not an IP address'],
    ['10.0.0.0/40', 'prefix too long'],
    ['10.0.0.1:70000', 'port out of range'],
  ])('rejects %s (%s), naming the list', (rule, why) => {
    expect(() => new Blacklists({ gw: [rule] })).toThrow(`dst_blacklist "gw": bad rule "${rule}" (${why})`);
  });
});
