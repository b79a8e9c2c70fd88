import { describe, expect, it } from 'vitest';
import { resolveDestination, resolveUri } from '../../src/server/resolve.js';
import { parseUri } from '../../src/uri/uri.js';

describe('next-hop resolution', () => {
  it('refuses a URI without a host (tel:) instead of resolving it to a null address', async () => {
    // An in-dialog ACK with R-URI tel:+1-555 reached the stateless forward with address null (attack test).
    await expect(resolveUri(parseUri('tel:+1-555'))).rejects.toThrow('E_RESOLVE: no host to send to');
  });

  it('resolves IP literals and OpenSIPS proto:host:port strings', async () => {
    await expect(resolveUri(parseUri('sip:bob@127.0.0.1:5070;transport=tcp'))).resolves.toEqual({ proto: 'tcp', address: '127.0.0.1', port: 5070 });
    await expect(resolveDestination('udp:[::1]:5080')).resolves.toEqual({ proto: 'udp', address: '::1', port: 5080 });
  });
});
