/**
 * Destination blacklists (core `dst_blacklist` + `use_blacklist()`) and t_relay's -5, and the core param
 * `disable_dns_failover`: a blacklisted destination is never sent to; with DNS failover the next target
 * is used; with none left tm answers 403 itself (t_relay returns 0) or, with flag 0x2, returns -5.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SipServer } from '@core/sip';
import { UdpPeer, request, statusOf, replyTo, headerOf, nextMatching, finalOf } from '@tsips/testkit';
import { DnsServer } from './support/dns-server.js';
import { startProxy, type Proxy } from './support/proxy.js';

let dns: DnsServer;
let uac: UdpPeer;
let first: UdpPeer;
let second: UdpPeer;
const proxies: Proxy[] = [];

beforeAll(async () => {
  dns = await DnsServer.start({});
  [uac, first, second] = [await UdpPeer.open(), await UdpPeer.open(), await UdpPeer.open()];
});
afterAll(async () => {
  for (const x of [uac, first, second]) x.close();
  dns.close();
  await Promise.all(proxies.map((p) => p.stop()));
});
beforeEach(async () => {
  for (const peer of [uac, first, second]) while (!(await peer.silent(20)));
});

async function proxy(core: Parameters<typeof startProxy>[2]): Promise<Proxy> {
  const p = await startProxy({ dns_servers: dns.server }, ['udp:127.0.0.1:0'], core);
  proxies.push(p);
  return p;
}

/** SRV: `a.<domain>` (first, preferred) then `b.<domain>` (second), both on 127.0.0.1. */
function zone(domain: string): void {
  dns.zone = {
    srv: {
      [`_sip._udp.${domain}`]: [
        { priority: 10, weight: 0, port: first.port, name: `a.${domain}` },
        { priority: 20, weight: 0, port: second.port, name: `b.${domain}` },
      ],
    },
    a: { [`a.${domain}`]: ['127.0.0.1'], [`b.${domain}`]: ['127.0.0.1'] },
  };
}

describe('dst_blacklist and use_blacklist', () => {
  it('skips a blacklisted DNS target and sends to the next one', async () => {
    const p = await proxy({ dst_blacklist: { gw: [`udp:127.0.0.1:${first.port}`] } });
    zone('bl1.test');
    p.routes.request = async (ctx) => {
      ctx.use_blacklist('gw');
      await ctx.t_relay();
    };
    await uac.send(request('OPTIONS', 'sip:bob@bl1.test', uac.port, { callId: 'bl-1' }), p.port);
    const got = await nextMatching(second, (t) => headerOf(t, 'Call-ID') === 'bl-1');
    await second.send(replyTo(got.text, 200, 'OK', { toTag: 's' }), p.port);
    expect(statusOf((await finalOf(uac, 'bl-1')).text)).toBe(200);
    expect(await first.silent(100)).toBe(true);
  });

  it('an IP literal on the list: 403 from tm and the script ends; with 0x2, -5 and no reply', async () => {
    const p = await proxy({ dst_blacklist: { nets: ['127.0.0.0/8'] } });
    const rcs: number[] = [];
    p.routes.request = async (ctx) => {
      ctx.use_blacklist('nets');
      const flags = ctx.$ci === 'bl-2b' ? '0x2' : '0';
      rcs.push(-100);
      rcs[rcs.length - 1] = await ctx.t_relay(flags);
      if (rcs.at(-1)! < 0) ctx.t_reply(499, 'Script Saw -5');
    };
    await uac.send(request('OPTIONS', `sip:bob@127.0.0.1:${first.port}`, uac.port, { callId: 'bl-2a' }), p.port);
    expect((await finalOf(uac, 'bl-2a')).text.split('\r\n')[0]).toBe('SIP/2.0 403 Destination filtered');
    await uac.send(request('OPTIONS', `sip:bob@127.0.0.1:${first.port}`, uac.port, { callId: 'bl-2b' }), p.port);
    expect((await finalOf(uac, 'bl-2b')).text.split('\r\n')[0]).toBe('SIP/2.0 499 Script Saw -5');
    expect(rcs).toEqual([-100, -5]); // the first t_relay ended the script (0)
    expect(await first.silent(100)).toBe(true);
  });

  it('applies only to requests that enabled it, and unuse_blacklist turns it off again', async () => {
    const p = await proxy({ dst_blacklist: { gw: [`udp:127.0.0.1:${first.port}`] } });
    p.routes.request = async (ctx) => {
      if (ctx.$ci === 'bl-3b') {
        ctx.use_blacklist('gw');
        ctx.unuse_blacklist('gw');
      }
      await ctx.t_relay();
    };
    for (const callId of ['bl-3a', 'bl-3b']) {
      await uac.send(request('OPTIONS', `sip:bob@127.0.0.1:${first.port}`, uac.port, { callId }), p.port);
      const got = await nextMatching(first, (t) => headerOf(t, 'Call-ID') === callId);
      await first.send(replyTo(got.text, 200, 'OK', { toTag: 'f' }), p.port);
      expect(statusOf((await finalOf(uac, callId)).text)).toBe(200);
    }
  });

  it('a bad rule stops the start naming the list and the rule; use_blacklist of an unknown list is a clear error', async () => {
    const start = () =>
      new SipServer({
        listen: ['udp:127.0.0.1:0'],
        routes: { request: () => undefined },
        mi: false,
        log: { level: 'silent' },
        dst_blacklist: { gw: ['udp:not-an-ip:5060'] },
      });
    expect(start).toThrow(
      expect.objectContaining({
        code: 'E_CONFIG',
        message: 'dst_blacklist "gw": bad rule "udp:not-an-ip:5060" (not of the form); expected [proto:]address[/prefix][:port]',
      }),
    );
    const p = await proxy({ dst_blacklist: { gw: ['10.0.0.1'] } });
    let err: unknown;
    p.routes.request = (ctx) => {
      try {
        ctx.use_blacklist('nope');
      } catch (e) {
        err = e;
      }
      ctx.sl_send_reply(200, 'OK');
    };
    await uac.send(request('OPTIONS', 'sip:x@127.0.0.1', uac.port, { callId: 'bl-4' }), p.port);
    await finalOf(uac, 'bl-4');
    expect(String(err)).toContain('use_blacklist: no dst_blacklist named "nope"');
  });
});

describe('core param disable_dns_failover', () => {
  it('uses only the first DNS target: a 503 from it ends the call (500 upstream), the second sees nothing', async () => {
    const p = await proxy({ disable_dns_failover: true });
    zone('nofo.test');
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('OPTIONS', 'sip:bob@nofo.test', uac.port, { callId: 'nofo-1' }), p.port);
    const a = await nextMatching(first, (t) => headerOf(t, 'Call-ID') === 'nofo-1');
    await first.send(replyTo(a.text, 503, 'Service Unavailable', { toTag: 'f' }), p.port);
    expect(statusOf((await finalOf(uac, 'nofo-1')).text)).toBe(500);
    expect(await second.silent(300)).toBe(true);
  });

  it('without it the same call fails over to the second target', async () => {
    const p = await proxy({});
    zone('fo.test');
    p.routes.request = (ctx) => ctx.t_relay();
    await uac.send(request('OPTIONS', 'sip:bob@fo.test', uac.port, { callId: 'fo-1' }), p.port);
    const a = await nextMatching(first, (t) => headerOf(t, 'Call-ID') === 'fo-1');
    await first.send(replyTo(a.text, 503, 'Service Unavailable', { toTag: 'f' }), p.port);
    const b = await nextMatching(second, (t) => headerOf(t, 'Call-ID') === 'fo-1');
    await second.send(replyTo(b.text, 200, 'OK', { toTag: 's' }), p.port);
    expect(statusOf((await finalOf(uac, 'fo-1')).text)).toBe(200);
  });
});
