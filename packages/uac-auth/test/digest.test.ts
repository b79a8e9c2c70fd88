/** The digest math against the worked examples published in RFC 2617 3.5 and RFC 7616 3.9.1. */
import { describe, expect, it } from 'vitest';
import { algorithmOf, digestResponse, ha1, ncValue, type DigestInput } from '../src/digest.js';

const rfc2617: DigestInput = {
  algorithm: 'MD5',
  username: 'Mufasa',
  realm: 'testrealm@host.com',
  password: 'Circle Of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
  qop: 'auth',
  nc: '00000001',
  cnonce: '0a4f113b',
};

const rfc7616: DigestInput = {
  algorithm: 'MD5',
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  qop: 'auth',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

describe('digest response', () => {
  it('RFC 2617 3.5: MD5, qop=auth', () => {
    expect(digestResponse(rfc2617)).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 7616 3.9.1: MD5 and SHA-256, qop=auth', () => {
    expect(digestResponse(rfc7616)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('SHA-512-256 (RFC 7616 6.1), value from openssl dgst -sha512-256 over the RFC 7616 example inputs', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-512-256' })).toBe('430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0');
  });

  // RFC 7616 has no -sess or auth-int example: these values were computed with md5sum from the RFC's inputs.
  it('-sess rehashes HA1 with nonce and cnonce (RFC 7616 3.4.2)', () => {
    expect(ha1(rfc7616)).toBe('3d78807defe7de2157e2b0b6573a855f');
    expect(ha1({ ...rfc7616, algorithm: 'MD5-sess' })).toBe('2b3d906f52651c3136e1502b3d6f38ee');
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5-sess' })).toBe('e783283f46242139c486a698fec7211d');
  });

  it('auth-int hashes the body into HA2; without qop the RFC 2069 response has no nc/cnonce', () => {
    expect(digestResponse({ ...rfc2617, qop: 'auth-int', body: Buffer.from('v=0\r\n') })).toBe('151b6cabb7e59e0ac757207a039ff3d0');
    expect(digestResponse({ ...rfc2617, qop: undefined })).toBe('670fd8c2df070c60b045671b8b24ff02');
    expect(digestResponse({ ...rfc2617, qop: undefined, nc: '00000009', cnonce: 'x' })).toBe('670fd8c2df070c60b045671b8b24ff02');
  });
});

describe('algorithm names and nc', () => {
  it('absent means MD5; names are case-insensitive; unknown ones are refused', () => {
    expect(algorithmOf(undefined)).toBe('MD5');
    expect(algorithmOf('sha-256-SESS')).toBe('SHA-256-sess');
    expect(algorithmOf('SHA-512-256')).toBe('SHA-512-256');
    expect(algorithmOf('AKAv1-MD5')).toBe(undefined);
  });

  it('nc is 8 lower-case hex digits', () => {
    expect(ncValue(1)).toBe('00000001');
    expect(ncValue(255)).toBe('000000ff');
  });
});
