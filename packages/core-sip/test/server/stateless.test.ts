import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipServer, defineModule, type RouteContext } from '../../src/index.js';
import { UdpPeer, request, replyTo, headerOf, headersOf, statusOf } from '@tsips/testkit';

/** A proxy on a free port whose routes are set per test through `route`. */
let route: (ctx: RouteContext) => void | Promise<void> = () => undefined;
let server: SipServer;
let uac: UdpPeer;
let uas: UdpPeer;
let port: number;

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    flags: ['FLAG_A', 'FLAG_B'],
    routes: { request: (ctx) => route(ctx) },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  uas.close();
  await server.stop();
});

const stat = (name: string) => server.stats.query([`core:${name}`])[0]?.value ?? 0;

let markers = 0;
/**
 * The positive barrier after something that must get no answer: the uac sends an OPTIONS the server answers,
 * and the first datagram it then receives must be that answer (an answer to what came before would arrive first).
 */
async function expectFirstAnswerIsMarker(): Promise<void> {
  route = (ctx) => void ctx.sl_send_reply(200, 'OK');
  const callId = `marker-${++markers}`;
  await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port, { callId }), port);
  const r = await uac.next();
  expect(headerOf(r.text, 'Call-ID')).toBe(callId);
  expect(statusOf(r.text)).toBe(200);
}

describe('stateless replies (sl)', () => {
  it('answers with sl_send_reply: same Via/From/Call-ID/CSeq, a To tag, the Server header', async () => {
    route = (ctx) => void ctx.sl_send_reply(200, 'Fine');
    await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port, { callId: 'opt-1' }), port);
    const r = await uac.next();
    expect(r.text.startsWith('SIP/2.0 200 Fine\r\n')).toBe(true);
    expect(headerOf(r.text, 'Call-ID')).toBe('opt-1');
    expect(headerOf(r.text, 'CSeq')).toBe('1 OPTIONS');
    expect(headerOf(r.text, 'To')).toMatch(/;tag=[0-9a-f]{8}-/);
    expect(headerOf(r.text, 'Server')).toMatch(/^tsips/);
    // The reply goes back to the source port (rport), with received/rport filled in the Via.
    expect(headerOf(r.text, 'Via')).toContain(`;rport=${uac.port}`);
  });

  it('gives a retransmitted request the same To tag, and absorbs the ACK of a negative reply', async () => {
    route = (ctx) => void ctx.sl_send_reply(486, 'Busy Here');
    const inv = request('INVITE', 'sip:bob@example.com', uac.port, { branch: 'z9hG4bKretx1' });
    await uac.send(inv, port);
    const a = await uac.next();
    await uac.send(inv, port);
    const b = await uac.next();
    expect(headerOf(a.text, 'To')).toBe(headerOf(b.text, 'To'));
    const tag = /tag=([^;]+)/.exec(headerOf(a.text, 'To') ?? '')?.[1];
    let routed = 0;
    route = () => void routed++;
    const acks = server.stats.query(['sl:received_ACKs'])[0]?.value ?? 0;
    await uac.send(request('ACK', 'sip:bob@example.com', uac.port, { toTag: tag, branch: 'z9hG4bKretx1' }), port);
    await expect.poll(() => server.stats.query(['sl:received_ACKs'])[0]?.value).toBe(acks + 1);
    expect(routed).toBe(0);
  });
});

describe('bad input', () => {
  it('answers a request with a broken CSeq with 400 and a reason, counts it, and keeps going', async () => {
    route = (ctx) => void ctx.sl_send_reply(200, 'OK');
    const before = stat('bad_msg_hdr');
    const bad = request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port).replace('CSeq: 1 OPTIONS', 'CSeq: abc OPTIONS');
    await uac.send(bad, port);
    const r = await uac.next();
    expect(statusOf(r.text)).toBe(400);
    expect(r.text.split('\r\n')[0]).toMatch(/^SIP\/2\.0 400 Bad Request \(.+\)$/);
    expect(stat('bad_msg_hdr')).toBe(before + 1);
    await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port), port);
    expect(statusOf((await uac.next()).text)).toBe(200);
  });

  it('answers SIP/7.0 with 505', async () => {
    const bad = request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port).replace(' SIP/2.0\r\n', ' SIP/7.0\r\n');
    await uac.send(bad, port);
    expect(statusOf((await uac.next()).text)).toBe(505);
  });

  it('drops garbage and replies it cannot answer, without a crash', async () => {
    const before = stat('bad_msg_hdr');
    await uac.send(Buffer.from([0, 1, 2, 3, 255, 13, 10, 13, 10]), port);
    await uac.send('SIP/2.0 200 OK\r\nVia: broken\r\n\r\n', port);
    await expect.poll(() => stat('bad_msg_hdr')).toBe(before + 2);
    // Nothing answered either: the first datagram back is the answer to a request sent after them.
    await expectFirstAnswerIsMarker();
  });

  it('answers 500 when the script throws, counts it, and keeps going', async () => {
    route = () => {
      throw new Error('boom');
    };
    const before = stat('err_requests');
    await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port), port);
    expect(statusOf((await uac.next()).text)).toBe(500);
    expect(stat('err_requests')).toBe(before + 1);
    route = (ctx) => void ctx.sl_send_reply(200, 'OK');
    await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port), port);
    expect(statusOf((await uac.next()).text)).toBe(200);
  });
});

describe('stateless forward', () => {
  it('relays a request with our Via on top and Max-Forwards decremented, and the reply back', async () => {
    route = async (ctx) => {
      if (ctx.mf_process_maxfwd_header(10) < 0) return void ctx.sl_send_reply(483, 'Too Many Hops');
      await ctx.forward(`udp:127.0.0.1:${uas.port}`);
    };
    const fwd0 = stat('fwd_requests');
    await uac.send(request('MESSAGE', 'sip:bob@example.com', uac.port, { maxForwards: 5, callId: 'fw-1' }), port);
    const got = await uas.next();
    const vias = headersOf(got.text, 'Via');
    expect(vias).toHaveLength(2);
    expect(vias[0]).toMatch(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${port};branch=z9hG4bK`));
    expect(vias[1]).toContain(`rport=${uac.port}`);
    expect(headerOf(got.text, 'Max-Forwards')).toBe('4');
    expect(stat('fwd_requests')).toBe(fwd0 + 1);
    // The UAS answers to our Via; the proxy pops it and relays to the UAC.
    const reply = got.text
      .split('\r\n')
      .filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l))
      .join('\r\n');
    await uas.send(`SIP/2.0 200 OK\r\n${reply}\r\nContent-Length: 0\r\n\r\n`, port);
    const back = await uac.next();
    expect(statusOf(back.text)).toBe(200);
    expect(headersOf(back.text, 'Via')).toHaveLength(1);
    expect(headerOf(back.text, 'Call-ID')).toBe('fw-1');
  });

  it('answers 483 when Max-Forwards is 0', async () => {
    await uac.send(request('MESSAGE', 'sip:bob@example.com', uac.port, { maxForwards: 0 }), port);
    expect(statusOf((await uac.next()).text)).toBe(483);
  });

  it('forwards by $du, and by R-URI with append_hf/remove_hf applied', async () => {
    route = async (ctx) => {
      ctx.append_hf('X-Added: yes');
      ctx.remove_hf('Subject');
      ctx.$du = `sip:127.0.0.1:${uas.port}`;
      await ctx.forward();
    };
    await uac.send(request('MESSAGE', 'sip:bob@example.com', uac.port, { headers: ['Subject: drop me'] }), port);
    const got = await uas.next();
    expect(got.text.split('\r\n')[0]).toBe('MESSAGE sip:bob@example.com SIP/2.0');
    expect(headerOf(got.text, 'X-Added')).toBe('yes');
    expect(headerOf(got.text, 'Subject')).toBeUndefined();
    route = async (ctx) => {
      ctx.$ru = `sip:carol@127.0.0.1:${uas.port}`;
      await ctx.forward();
    };
    await uac.send(request('MESSAGE', 'sip:bob@example.com', uac.port), port);
    expect((await uas.next()).text.split('\r\n')[0]).toBe(`MESSAGE sip:carol@127.0.0.1:${uas.port} SIP/2.0`);
  });

  it('drops a reply whose top Via is not ours', async () => {
    const [received, relayed] = [stat('rcv_replies'), stat('fwd_replies')];
    // Were the top Via taken for ours, the reply would be relayed to the uac (its second Via).
    await uas.send(
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKx\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKy\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`,
      port,
    );
    await expect.poll(() => stat('rcv_replies')).toBe(received + 1);
    await expectFirstAnswerIsMarker();
    expect(stat('fwd_replies')).toBe(relayed);
  });
});

describe('script: pseudo-variables, flags, exit/drop, named routes', () => {
  it('exposes $ru $rU $rd $rm $fu $tu $ci $si $sp $proto and named flags', async () => {
    const seen: Record<string, unknown> = {};
    route = (ctx) => {
      Object.assign(seen, {
        ru: ctx.$ru,
        rU: ctx.$rU,
        rd: ctx.$rd,
        rm: ctx.$rm,
        fu: ctx.$fu,
        tu: ctx.$tu,
        ci: ctx.$ci,
        si: ctx.$si,
        sp: ctx.$sp,
        proto: ctx.$proto,
      });
      ctx.setflag('FLAG_B');
      seen.flagB = ctx.isflagset('FLAG_B');
      seen.flagA = ctx.isflagset('FLAG_A');
      ctx.$rU = 'dave';
      seen.ru2 = ctx.$ru;
      ctx.sl_send_reply(200, 'OK');
    };
    await uac.send(request('INFO', 'sip:bob@example.com;transport=udp', uac.port, { callId: 'pv-1' }), port);
    await uac.next();
    expect(seen).toEqual({
      ru: 'sip:bob@example.com;transport=udp',
      rU: 'bob',
      rd: 'example.com',
      rm: 'INFO',
      fu: 'sip:alice@127.0.0.1',
      tu: 'sip:bob@example.com',
      ci: 'pv-1',
      si: '127.0.0.1',
      sp: uac.port,
      proto: 'udp',
      flagB: true,
      flagA: false,
      ru2: 'sip:dave@example.com;transport=udp',
    });
  });

  it('exit() and drop() stop the script from inside a called function', async () => {
    let after = false;
    const before = stat('drop_requests');
    route = (ctx) => {
      const inner = () => ctx.drop();
      inner();
      after = true;
    };
    await uac.send(request('INFO', 'sip:bob@example.com', uac.port), port);
    await expect.poll(() => stat('drop_requests')).toBe(before + 1);
    expect(after).toBe(false);
  });
});

describe('modules in the pipeline', () => {
  it('binds module script functions on the route context, and event_route', async () => {
    const events: unknown[] = [];
    const mod = defineModule({
      name: 'probe',
      version: '1.0.0',
      events: { E_PROBE: { help: 'probe fired', params: ['n'] } },
      init: (ctx) => ({ ctx, n: 0 }),
      functions: {
        probe_count: {
          routes: ['request'],
          handler(st, rc) {
            st.n++;
            st.ctx.events.raise('E_PROBE', { n: st.n, m: rc.$rm });
            return st.n;
          },
        },
        probe_event: { routes: ['event'], handler: (st) => st.n * 10 },
      },
    });
    const s = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: 'silent' },
      modules: [mod],
      routes: {
        request: (ctx) => {
          const n = (ctx as unknown as { probe_count(): number }).probe_count();
          ctx.sl_send_reply(200, `n=${n}`);
        },
        // event_route runs on an event context, where functions allowed in event routes can be called.
        event_route: {
          E_PROBE: (p, name, ctx) => void events.push({ ...p, name, rt: ctx.routeType, f: (ctx as unknown as { probe_event(): number }).probe_event() }),
        },
      },
    });
    await s.start();
    try {
      const p = s.sockets[0]!.port;
      await uac.send(request('OPTIONS', `sip:127.0.0.1:${p}`, uac.port), p);
      expect((await uac.next()).text.split('\r\n')[0]).toBe('SIP/2.0 200 n=1');
      await expect.poll(() => events).toEqual([{ n: 1, m: 'OPTIONS', name: 'E_PROBE', rt: 'event', f: 10 }]);
    } finally {
      await s.stop();
    }
  });

  it('refuses a module function in a route type it did not list, with E_CONFIG naming function, module and route', async () => {
    const mod = defineModule({
      name: 'probe',
      version: '1.0.0',
      init: () => null,
      functions: { probe_request_only: { routes: ['request'], handler: () => 1 } },
    });
    const caught: unknown[] = [];
    const s = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: 'silent' },
      modules: [mod],
      routes: {
        request: (ctx) => {
          // Allowed here: the answer carries its result.
          const n = (ctx as unknown as { probe_request_only(): number }).probe_request_only();
          ctx.sl_send_reply(200, `n=${n}`);
        },
        onreply: (ctx) => {
          try {
            (ctx as unknown as { probe_request_only(): number }).probe_request_only();
          } catch (e) {
            caught.push(e);
          }
          ctx.drop();
        },
      },
    });
    await s.start();
    try {
      const p = s.sockets[0]!.port;
      await uac.send(request('OPTIONS', `sip:127.0.0.1:${p}`, uac.port), p);
      expect((await uac.next()).text.split('\r\n')[0]).toBe('SIP/2.0 200 n=1');
      // A reply reaching the server runs onreply, where the function is not allowed.
      await uac.send(replyTo(request('OPTIONS', 'sip:bob@example.com', uac.port), 200, 'OK'), p);
      await expect.poll(() => caught.length).toBe(1);
      expect(caught[0]).toMatchObject({ code: 'E_CONFIG', message: 'probe_request_only() of module "probe" cannot be used in onreply routes' });
    } finally {
      await s.stop();
    }
  });

  it('refuses to start when a module exports a function the core already has (E_FUNCTION_DUPLICATE)', async () => {
    const mod = defineModule({
      name: 'shadow',
      version: '1.0.0',
      init: () => null,
      functions: { sl_send_reply: { handler: () => 1 } },
    });
    const s = new SipServer({ listen: ['udp:127.0.0.1:0'], mi: false, log: { level: 'silent' }, modules: [mod], routes: { request: () => undefined } });
    try {
      await expect(s.start()).rejects.toMatchObject({
        code: 'E_FUNCTION_DUPLICATE',
        message: 'module "shadow" exports script function "sl_send_reply", which the core already has',
      });
    } finally {
      await s.stop();
    }
  });
});
