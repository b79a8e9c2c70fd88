/**
 * A positive barrier for "the proxy sent this peer nothing", instead of waiting N ms for silence (which a
 * loaded machine turns into a pass for the wrong reason): the peer sends the proxy an OPTIONS that the request
 * route answers at once, and the first datagram it then gets must be that answer. Anything the proxy sent the
 * peer before (a relayed reply, a branch, a CANCEL, an ACK) would have arrived first.
 */
import { expect } from 'vitest';
import { headerOf, request, type UdpPeer } from '@tsips/testkit';
import type { Proxy } from './proxy.js';

let markers = 0;

/**
 * With `of`, only messages of that Call-ID count: retransmissions left over from earlier tests' calls are
 * skipped, so they cannot fail this test (nor hide anything of its own call).
 */
export async function expectNothingBeforeMarker(p: Proxy, peer: UdpPeer, of?: string): Promise<void> {
  const route = p.routes.request;
  const callId = `marker-${++markers}`;
  // The test's own route keeps handling every other request meanwhile.
  p.routes.request = (ctx) => (ctx.$ci === callId ? ctx.sl_send_reply(200, 'Marker') : route(ctx));
  try {
    await peer.send(request('OPTIONS', `sip:marker@127.0.0.1:${p.port}`, peer.port, { callId }), p.port);
    for (;;) {
      const r = await peer.next();
      const got = headerOf(r.text, 'Call-ID');
      if (got === callId) return;
      if (of === undefined || got === of) expect.fail(`the proxy sent this before the marker's answer:\n${r.text}`);
    }
  } finally {
    p.routes.request = route;
  }
}
