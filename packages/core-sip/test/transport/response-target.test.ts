import { describe, expect, it } from 'vitest';
import { fromSocket, receivedParams, responseTarget } from '../../src/transport/response-target.js';
import type { ListenSocket, ReceiveInfo } from '../../src/transport/types.js';

const udpSock: ListenSocket = {
  proto: 'udp',
  address: '127.0.0.1',
  port: 5060,
  advertisedAddress: '127.0.0.1',
  advertisedPort: 5060,
  name: 'udp:127.0.0.1:5060',
  family: 4,
};
const tcpSock: ListenSocket = { ...udpSock, proto: 'tcp', name: 'tcp:127.0.0.1:5060' };
const udpFrom = (srcAddress: string, srcPort: number): ReceiveInfo => ({ proto: 'udp', srcAddress, srcPort, socket: udpSock });

describe('responseTarget (RFC 3261 18.2.2, RFC 3581)', () => {
  it('unreliable, no received: sent-by host and port, default 5060', () => {
    expect(responseTarget({ transport: 'UDP', host: '192.0.2.4', port: 5070 })).toEqual({ proto: 'udp', address: '192.0.2.4', port: 5070 });
    expect(responseTarget({ transport: 'udp', host: 'pc33.example.com' })).toEqual({ proto: 'udp', address: 'pc33.example.com', port: 5060 });
  });

  it('received without rport: received address, sent-by port', () => {
    expect(responseTarget({ transport: 'UDP', host: 'pc33.example.com', port: 5070, received: '192.0.2.4' })).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 5070,
    });
    expect(responseTarget({ transport: 'UDP', host: 'pc33.example.com', received: '192.0.2.4' }).port).toBe(5060);
  });

  it('received + rport=value: received address, rport port', () => {
    expect(responseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5060, received: '192.0.2.4', rport: 9988 })).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 9988,
    });
  });

  it('rport without received: the source address, rport port', () => {
    expect(responseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5060, rport: 9988 }, udpFrom('192.0.2.4', 9988))).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 9988,
    });
    // Valueless rport (not yet filled in): the request's source port.
    expect(responseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5060, rport: null }, udpFrom('192.0.2.4', 4444))).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 4444,
    });
  });

  it('sent-by not the source, no received yet (the Via as it arrived): the source address, sent-by port', () => {
    // RFC 4475 insuf: a reply to a documentation address the request never came from would be lost
    // (or leave the host); 18.2.1 tags the Via with received=<source>, and 18.2.2 sends there.
    expect(responseTarget({ transport: 'UDP', host: '192.0.2.95' }, udpFrom('127.0.0.1', 40000))).toEqual({ proto: 'udp', address: '127.0.0.1', port: 5060 });
    expect(responseTarget({ transport: 'UDP', host: 'host.example.com', port: 5070 }, udpFrom('127.0.0.1', 40000))).toEqual({
      proto: 'udp',
      address: '127.0.0.1',
      port: 5070,
    });
    // The sent-by is the source: sent-by, as before.
    expect(responseTarget({ transport: 'UDP', host: '127.0.0.1', port: 5070 }, udpFrom('127.0.0.1', 40000))).toEqual({ proto: 'udp', address: '127.0.0.1', port: 5070 });
  });

  it('maddr: maddr at the sent-by port, else 5060', () => {
    expect(responseTarget({ transport: 'UDP', host: '10.0.0.1', port: 5080, maddr: '239.255.255.1', received: '192.0.2.4' })).toEqual({
      proto: 'udp',
      address: '239.255.255.1',
      port: 5080,
    });
    expect(responseTarget({ transport: 'UDP', host: '10.0.0.1', maddr: '239.255.255.1' }).port).toBe(5060);
  });

  it('reliable: the connection of the request, received/sent-by as fallback', () => {
    const rinfo: ReceiveInfo = { proto: 'tcp', srcAddress: '192.0.2.4', srcPort: 40123, socket: tcpSock, connId: 17 };
    expect(responseTarget({ transport: 'TCP', host: '10.0.0.1', port: 5062, received: '192.0.2.4', rport: 40123 }, rinfo)).toEqual({
      proto: 'tcp',
      address: '192.0.2.4',
      port: 5062,
      connId: 17,
    });
    expect(responseTarget({ transport: 'TLS', host: 'client.example.com' })).toEqual({ proto: 'tls', address: 'client.example.com', port: 5061 });
  });

  it('IPv6 sent-by and received lose their brackets', () => {
    expect(responseTarget({ transport: 'UDP', host: '[2001:db8::9]', port: 5070 })).toEqual({ proto: 'udp', address: '2001:db8::9', port: 5070 });
    expect(responseTarget({ transport: 'UDP', host: '[2001:db8::9]', received: '2001:db8::1', rport: 6000 })).toEqual({
      proto: 'udp',
      address: '2001:db8::1',
      port: 6000,
    });
  });

  it('rejects a transport it cannot send on', () => {
    expect(() => responseTarget({ transport: 'SCTP', host: '10.0.0.1' })).toThrow('E_VIA_TRANSPORT: unsupported Via transport "SCTP"');
  });
});

describe('receivedParams', () => {
  it('adds received only when sent-by differs from the source', () => {
    expect(receivedParams({ host: '192.0.2.4' }, udpFrom('192.0.2.4', 5060))).toEqual({});
    expect(receivedParams({ host: 'pc33.example.com' }, udpFrom('192.0.2.4', 5060))).toEqual({ received: '192.0.2.4' });
    expect(receivedParams({ host: '10.0.0.1', rport: 5070 }, udpFrom('192.0.2.4', 5070))).toEqual({ received: '192.0.2.4' });
  });

  it('fills a valueless rport and always adds received with it (RFC 3581 4)', () => {
    expect(receivedParams({ host: '192.0.2.4', rport: null }, udpFrom('192.0.2.4', 7777))).toEqual({ received: '192.0.2.4', rport: '7777' });
  });

  it('compares IPv6 in canonical form and returns received without brackets', () => {
    expect(receivedParams({ host: '[2001:DB8:0:0::1]' }, udpFrom('2001:db8::1', 5060))).toEqual({});
    expect(receivedParams({ host: '[2001:db8::2]' }, udpFrom('2001:db8::1', 5060))).toEqual({ received: '2001:db8::1' });
  });
});

describe('a received= the client wrote itself (reflection)', () => {
  it('is replaced on the Via when it is not the source address, and kept when it is', () => {
    expect(receivedParams({ host: '192.0.2.4', received: '198.51.100.9' }, udpFrom('192.0.2.4', 5060))).toEqual({ received: '192.0.2.4' });
    expect(receivedParams({ host: '192.0.2.4', received: '192.0.2.4' }, udpFrom('192.0.2.4', 5060))).toEqual({});
  });

  it('never steers a reply: with the arrival known the reply goes to the source address', () => {
    expect(responseTarget({ transport: 'UDP', host: '192.0.2.4', port: 5060, received: '198.51.100.9' }, udpFrom('192.0.2.4', 5060))).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 5060,
    });
    expect(responseTarget({ transport: 'UDP', host: '192.0.2.4', received: '198.51.100.9', rport: null }, udpFrom('192.0.2.4', 40000))).toEqual({
      proto: 'udp',
      address: '192.0.2.4',
      port: 40000,
    });
    const tcp: ReceiveInfo = { proto: 'tcp', srcAddress: '192.0.2.4', srcPort: 40123, socket: tcpSock, connId: 9 };
    expect(responseTarget({ transport: 'TCP', host: '192.0.2.4', port: 5062, received: '198.51.100.9' }, tcp).address).toBe('192.0.2.4');
  });
});

describe('fromSocket', () => {
  it('keeps proto, address, port and the connection to reuse, and names the socket to send from', () => {
    const socket = { name: 'tcp:127.0.0.1:5060' } as ListenSocket;
    expect(fromSocket({ proto: 'tcp', address: '192.0.2.4', port: 5060, connId: 7 }, socket)).toEqual({
      proto: 'tcp',
      address: '192.0.2.4',
      port: 5060,
      connId: 7,
      socket,
    });
    const udp = fromSocket(responseTarget({ transport: 'UDP', host: '192.0.2.4', port: 5062 }), undefined);
    expect(udp).toEqual({ proto: 'udp', address: '192.0.2.4', port: 5062, connId: undefined, socket: undefined });
  });
});
