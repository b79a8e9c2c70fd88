/** hooks.onRequestDone: once per request, after the request route settled, whatever its outcome. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, defineModule, type RouteContext } from '../../src/index.js';
import { UdpPeer, request } from '@tsips/testkit';

const done: { callId: string; trail: string[] }[] = [];
const trail: string[] = [];
let server: SipServer;
let uac: UdpPeer;
let port: number;

const watcher = defineModule({
  name: 'watcher',
  version: '0.0.0',
  init(ctx) {
    ctx.core.hooks.onRequestDone((c) => void done.push({ callId: c.msg.callId, trail: trail.splice(0) }));
    // A failing hook is logged; the others still run.
    ctx.core.hooks.onRequestDone(() => {
      throw new Error('hook failure');
    });
    return {};
  },
});

async function route(ctx: RouteContext): Promise<void> {
  const id = ctx.msg.callId;
  trail.push('start');
  if (id === 'exit') {
    ctx.sl_send_reply(486, 'Busy Here');
    ctx.exit();
  }
  if (id === 'drop') ctx.drop();
  if (id === 'error') throw new Error('script error');
  await new Promise((r) => setTimeout(r, 20));
  trail.push('after await');
  ctx.sl_send_reply(200, 'OK');
}

beforeAll(async () => {
  server = new SipServer({ listen: ['udp:127.0.0.1:0'], mi: false, log: { level: 'silent' }, modules: [watcher], routes: { request: route } });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  await server.stop();
});

describe('hooks.onRequestDone', () => {
  it('runs after the route (its awaited tail included) for exit, drop, script errors and normal ends', async () => {
    for (const callId of ['exit', 'drop', 'error', 'normal']) {
      await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port, { callId }), port);
      await expect.poll(() => done.map((d) => d.callId)).toContain(callId);
    }
    expect(done).toEqual([
      { callId: 'exit', trail: ['start'] },
      { callId: 'drop', trail: ['start'] },
      { callId: 'error', trail: ['start'] },
      { callId: 'normal', trail: ['start', 'after await'] },
    ]);
  });
});
