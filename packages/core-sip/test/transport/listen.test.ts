import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/transport/listen.js';
import { TransportError } from '../../src/transport/errors.js';

describe('parseListen', () => {
  it.each([
    ['udp:127.0.0.1:5060', { proto: 'udp', address: '127.0.0.1', port: 5060 }],
    ['tcp:0.0.0.0:5060', { proto: 'tcp', address: '0.0.0.0', port: 5060 }],
    ['tls:127.0.0.1:5061', { proto: 'tls', address: '127.0.0.1', port: 5061 }],
    ['udp:[::1]:5060', { proto: 'udp', address: '::1', port: 5060 }],
    ['udp:[::1]', { proto: 'udp', address: '::1', port: 5060 }],
    ['udp:::1', { proto: 'udp', address: '::1', port: 5060 }],
    ['udp:127.0.0.1', { proto: 'udp', address: '127.0.0.1', port: 5060 }],
    ['tcp:127.0.0.1', { proto: 'tcp', address: '127.0.0.1', port: 5060 }],
    ['tls:127.0.0.1', { proto: 'tls', address: '127.0.0.1', port: 5061 }],
    ['127.0.0.1:5070', { proto: 'udp', address: '127.0.0.1', port: 5070 }],
    ['127.0.0.1', { proto: 'udp', address: '127.0.0.1', port: 5060 }],
    ['localhost:5080', { proto: 'udp', address: 'localhost', port: 5080 }],
    ['TCP:sip.example.com:5060', { proto: 'tcp', address: 'sip.example.com', port: 5060 }],
    ['udp:127.0.0.1:0', { proto: 'udp', address: '127.0.0.1', port: 0 }],
    ['  udp:127.0.0.1:5060  ', { proto: 'udp', address: '127.0.0.1', port: 5060 }],
  ])('%s', (spec, expected) => {
    expect(parseListen(spec)).toEqual(expected);
  });

  it('advertised address with port', () => {
    expect(parseListen('udp:10.0.0.1:5060 as 203.0.113.7:5080')).toEqual({
      proto: 'udp',
      address: '10.0.0.1',
      port: 5060,
      advertisedAddress: '203.0.113.7',
      advertisedPort: 5080,
    });
  });

  it('advertised host without port keeps the bound port', () => {
    expect(parseListen('tcp:10.0.0.1:5060 AS sip.example.com')).toEqual({
      proto: 'tcp',
      address: '10.0.0.1',
      port: 5060,
      advertisedAddress: 'sip.example.com',
    });
  });

  it('advertised IPv6', () => {
    expect(parseListen('udp:[fd00::1]:5060 as [2001:db8::7]:5090')).toMatchObject({
      address: 'fd00::1',
      advertisedAddress: '2001:db8::7',
      advertisedPort: 5090,
    });
  });

  it.each([
    ['tcp:1.2.3.4:99999', 'E_LISTEN: "tcp:1.2.3.4:99999": port out of range'],
    ['udp:1.2.3.4:abc', 'E_LISTEN: "udp:1.2.3.4:abc": invalid port "abc"'],
    ['udp:1.2.3.4:', 'E_LISTEN: "udp:1.2.3.4:": missing port after ":"'],
    ['sctp:1.2.3.4:5060', 'E_LISTEN: "sctp:1.2.3.4:5060": unsupported protocol "sctp" (udp, tcp or tls)'],
    ['', 'E_LISTEN: "": empty listen declaration'],
    ['udp:', 'E_LISTEN: "udp:": missing address'],
    ['udp:[::1', 'E_LISTEN: "udp:[::1": unclosed "[" in address'],
    ['udp:[1.2.3.4]:5060', 'E_LISTEN: "udp:[1.2.3.4]:5060": "1.2.3.4" is not an IPv6 address'],
    ['udp:[::1]x', 'E_LISTEN: "udp:[::1]x": unexpected "x" after address'],
    ['udp:fe80::1:5060:x', 'E_LISTEN: "udp:fe80::1:5060:x": IPv6 address with a port must be in brackets'],
    ['udp:300.1.1.1:5060', 'E_LISTEN: "udp:300.1.1.1:5060": invalid address "300.1.1.1"'],
    ['udp:bad_host:5060', 'E_LISTEN: "udp:bad_host:5060": invalid address "bad_host"'],
    ['udp:1.2.3.4 as ', 'E_LISTEN: "udp:1.2.3.4 as ": missing address after "as"'],
    ['udp:1.2.3.4 as 5.6.7.8:70000', 'E_LISTEN: "udp:1.2.3.4 as 5.6.7.8:70000": port out of range'],
    ['udp:1.2.3.4 as a as b', 'E_LISTEN: "udp:1.2.3.4 as a as b": "as" given more than once'],
  ])('rejects %j', (spec, message) => {
    let caught: unknown;
    try {
      parseListen(spec);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TransportError);
    expect((caught as TransportError).code).toBe('E_LISTEN');
    expect((caught as TransportError).message).toBe(message);
  });
});
