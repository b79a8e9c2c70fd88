/** script_req_route / script_reply_route, b2b_key_prefix and the hash table sizes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteContext } from '@core/sip';
import { B2bServer, Ua, statusOf } from './helpers.js';

const seen: string[] = [];
let h: B2bServer;
beforeAll(async () => {
  h = await B2bServer.start(
    { script_req_route: 'b2b_request', script_reply_route: 'b2b_reply', b2b_key_prefix: 'EDGE', server_hsize: 1, client_hsize: 2 },
    {
      routes: {
        b2b_request: (ctx: RouteContext) => {
          seen.push(`req ${ctx.$rm} ${ctx.routeType}`);
          if (ctx.is_method('INFO')) ctx.drop(); // kept from the owner
        },
        b2b_reply: (ctx: RouteContext) => void seen.push(`rpl ${ctx.msg.status} ${ctx.$rm} ${ctx.routeType}`),
      },
    },
  );
});
afterAll(() => h.stop());

describe('script routes', () => {
  it('requests of an entity run script_req_route before the owner (drop() keeps them from it), replies script_reply_route', async () => {
    h.steer.flags = 'r';
    const ua = await Ua.open(h.port);
    await ua.invite();
    const ok = (await ua.next()).text;
    ua.learn(ok);
    const key = ua.remoteTag;
    expect(key).toMatch(/^EDGE\.[01]\.\d+\.\d+\.\d+$/);
    await ua.sendInDialog('ACK');
    await ua.sendInDialog('INFO');
    await ua.sendInDialog('OPTIONS');
    await expect.poll(() => h.eventsOf(key)).toEqual(['NEW:INVITE', 'UPDATED:OPTIONS']);
    await h.mi('ua_session_reply', { key, method: 'OPTIONS', code: 200, reason: 'OK' });
    expect(statusOf((await ua.next()).text)).toBe(200);
    await h.mi('ua_session_update', { key, method: 'OPTIONS' });
    await ua.reply((await ua.next()).text, 200, 'OK');
    await expect.poll(() => h.eventsOf(key).at(-1)).toBe('ANSWERED:OPTIONS:200');
    expect(seen).toEqual(['req ACK request', 'req INFO request', 'req OPTIONS request', 'rpl 200 OPTIONS onreply']);
    // The dropped INFO is still pending: the script never answered it; terminate answers it with 500.
    await h.mi('ua_session_terminate', { key });
    const got = [(await ua.next()).text, (await ua.next()).text];
    expect(got.some((t) => t.startsWith('BYE '))).toBe(true);
    ua.close();
  });

  it('client keys carry a hash index below 2^client_hsize', async () => {
    const callee = await Ua.open(h.port, 'bob');
    const keys: string[] = [];
    for (let i = 0; i < 12; i++) {
      keys.push((await h.mi('ua_session_client_start', { ruri: `sip:bob@127.0.0.1:${callee.port}`, to: 'sip:b@x', from: 'sip:a@x' })) as string);
      await callee.next();
    }
    const idx = new Set(keys.map((k) => Number(k.split('.')[1])));
    expect([...idx].every((i) => i >= 0 && i < 4)).toBe(true);
    expect(idx.size).toBeGreaterThan(1);
    for (const key of keys) await h.mi('ua_session_terminate', { key });
    callee.close();
  });

  it('a route named in script_req_route must exist', async () => {
    await expect(B2bServer.start({ script_req_route: 'nope' })).rejects.toThrow(
      'E_B2B_ARG: b2b_entities: route "nope" (script_req_route / script_reply_route) is not defined in routes.route',
    );
  });
});
