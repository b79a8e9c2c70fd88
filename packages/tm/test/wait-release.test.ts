/**
 * A transaction in its wait phase (wt_timer) drops what only its live phase needed (the branches' final
 * replies and builders, the request's route context) but still does its wait-phase work: a 2xx
 * retransmitted downstream is relayed upstream (statelessly, RFC 6026 7.2: no onreply route runs for it).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, request, replyTo, statusOf, methodOf, nextMatching } from '@tsips/testkit';
import type { NameAddr, RouteContext } from '@core/sip';
import { startProxy, type Proxy } from './support/proxy.js';
import type { TmApi } from '../src/index.js';
import type { Cell } from '../src/transaction/cell.js';

let p: Proxy;
let uac: UdpPeer;
let uas: UdpPeer;

beforeAll(async () => {
  p = await startProxy({ wt_timer: 5 });
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  await p.stop();
});
beforeEach(async () => {
  for (const peer of [uac, uas]) while (!(await peer.silent(20)));
});

/** Relays one INVITE through `p`, answers it 200 downstream; resolves with the transaction once the 200 went upstream. */
async function answeredCall(p: Proxy, callId: string, arm?: (ctx: RouteContext) => void): Promise<{ cell: Cell; ok: string; from: NameAddr }> {
  const api = p.server.loader.apiOf('tm')!.api as TmApi;
  let cell: Cell | undefined;
  let from: NameAddr | undefined;
  p.routes.request = async (ctx) => {
    arm?.(ctx);
    await ctx.t_relay();
    cell = api.getTransaction(ctx) as Cell | undefined;
    from = ctx.msg.from; // decoded while routing
  };
  await uac.send(request('INVITE', `sip:bob@127.0.0.1:${uas.port}`, uac.port, { callId }), p.port);
  const inv = await nextMatching(uas, (t) => methodOf(t) === 'INVITE');
  const ok = replyTo(inv.text, 200, 'OK', { toTag: 'w1' });
  await uas.send(ok, p.port);
  expect(statusOf((await nextMatching(uac, (t) => statusOf(t) === 200)).text)).toBe(200);
  expect(cell).toBeDefined();
  return { cell: cell!, ok, from: from! };
}

describe('wait phase of a transaction', () => {
  it('drops the final reply, the branch builder and the route context, and still relays a retransmitted 2xx', async () => {
    const { cell, ok, from } = await answeredCall(p, 'wait-release-1');
    await expect.poll(() => cell.waitTimer !== null, { timeout: 2000 }).toBe(true);
    // The request stays, its decoded headers do not: read again, they are new objects with the same values.
    expect(cell.request.from).not.toBe(from);
    expect(cell.request.from.tag).toBe(from.tag);
    expect(cell.deleted).toBe(false);
    expect(cell.status).toBe(200);
    const br = cell.branches[0]!;
    expect(br.finalCode).toBe(200);
    expect(br.final).toBeUndefined();
    expect(br.build).toBeNull();
    expect(cell.ctx).toBeNull();
    // RFC 6026 Accepted: the UAS retransmits its 200 until it sees the ACK; each copy still goes upstream.
    await uas.send(ok, p.port);
    expect(statusOf((await nextMatching(uac, (t) => statusOf(t) === 200)).text)).toBe(200);
  });

  it("drops the route context even when its AVPs are the onreply route's (onreply_avp_mode=1): no route runs in the wait phase", async () => {
    const shared = await startProxy({ wt_timer: 5, onreply_avp_mode: 1 });
    let ran = 0;
    shared.routes.onreply.watch = (ctx) => {
      if (ctx.avp('mark') === 'kept') ran++;
    };
    const { cell, ok } = await answeredCall(shared, 'wait-release-2', (ctx) => {
      ctx.setAvp('mark', 'kept');
      ctx.t_on_reply('watch');
    });
    await expect.poll(() => cell.waitTimer !== null, { timeout: 2000 }).toBe(true);
    // The live 200 ran the route with the request's AVPs.
    expect(ran).toBe(1);
    expect(cell.ctx).toBeNull();
    expect(cell.branches[0]!.final).toBeUndefined();
    await uas.send(ok, shared.port);
    expect(statusOf((await nextMatching(uac, (t) => statusOf(t) === 200)).text)).toBe(200);
    expect(ran).toBe(1);
    await shared.stop();
  });
});
