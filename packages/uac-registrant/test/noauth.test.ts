/** Registration against a real Kamailio registrar without authentication: REGISTER content, MI, reg_upsert rows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { UdpPeer, freePort, headerOf, request, startKamailioRegistrar, statusOf, waitFor, type KamailioRegistrar } from '@tsips/testkit';
import { Node } from './node.js';

let k: KamailioRegistrar;
let n: Node;
beforeAll(async () => {
  k = await startKamailioRegistrar({ auth: false, maxExpires: 3600 });
  n = await Node.start();
});
afterAll(async () => {
  await n?.stop();
  await k?.stop();
});

describe('uac_registrant without auth', () => {
  it('reg_upsert adds a row that registers at its bucket step; reg_list shows it as OpenSIPS 4.0 does', async () => {
    const binding = `sip:alice@127.0.0.1:${n.port}`;
    expect(await n.list()).toEqual([]);
    await n.mi('reg_upsert', { aor: 'sip:alice@tsips.test', contact: binding, registrar: k.uri, expiry: 300 });
    const listed = await n.waitState('sip:alice@tsips.test', 'REGISTERED_STATE');
    expect(listed).toMatchObject({ AOR: 'sip:alice@tsips.test', expires: 300, enabled: 'yes', registrar: k.uri, binding, dst_IP: 'IPv4', ip: '127.0.0.1' });
    const ctimeRe = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;
    expect(listed.last_register_sent).toMatch(ctimeRe);
    // OpenSIPS 4.0's keys and order; socket, proxy and the optional ones only when set.
    expect(Object.keys(listed)).toEqual(['AOR', 'expires', 'state', 'enabled', 'last_register_sent', 'registration_t_out', 'registrar', 'binding', 'dst_IP', 'ip']);
    // registration_t_out is when the refresh is due: within the granted 300 s, after the REGISTER was sent.
    const sent = Date.parse(listed.last_register_sent);
    const due = Date.parse(listed.registration_t_out);
    expect(listed.registration_t_out).toMatch(ctimeRe);
    expect(due - sent).toBeGreaterThan(200_000);
    expect(due - sent).toBeLessThanOrEqual(300_000);
    expect(await k.contacts('alice')).toEqual([binding]);
    expect(await n.one('sip:alice@tsips.test', binding, k.uri)).toEqual(listed);
    expect(n.stat('registered')).toBe(1);
    const ev = n.events.filter((e) => e.aor === 'sip:alice@tsips.test').map((e) => [e.old_state, e.state, e.code]);
    expect(ev).toEqual([
      [0, 1, 0],
      [1, 3, 200],
    ]);
  });

  it('reg_list with only some of aor/contact/registrar is an error; an unknown record is not found', async () => {
    await expect(n.mi('reg_list', { aor: 'sip:alice@tsips.test' })).rejects.toThrow('aor, contact and registrar are all required');
    await expect(n.mi('reg_list', { aor: 'sip:nobody@tsips.test', contact: 'sip:x@127.0.0.1', registrar: k.uri })).rejects.toThrow('No such registrant');
  });

  it('reg_disable un-registers and reg_enable registers again at once', async () => {
    const binding = `sip:bob@127.0.0.1:${n.port}`;
    await n.mi('reg_upsert', { aor: 'sip:bob@tsips.test', contact: binding, registrar: k.uri });
    await n.waitState('sip:bob@tsips.test', 'REGISTERED_STATE');
    expect(await k.contacts('bob')).toEqual([binding]);
    await n.mi('reg_disable', { aor: 'sip:bob@tsips.test', contact: binding, registrar: k.uri });
    const off = await n.waitState('sip:bob@tsips.test', 'NOT_REGISTERED_STATE');
    expect(off.enabled).toBe('no');
    expect(await k.contacts('bob')).toEqual([]);
    // The state column is written (the in-memory DB, read back by a reload that keeps it disabled).
    await n.mi('reg_reload');
    expect((await n.one('sip:bob@tsips.test', binding, k.uri)).enabled).toBe('no');
    await n.mi('reg_enable', { aor: 'sip:bob@tsips.test', contact: binding, registrar: k.uri });
    await n.waitState('sip:bob@tsips.test', 'REGISTERED_STATE', 1500);
    expect(await k.contacts('bob')).toEqual([binding]);
  });

  it('third-party registration, binding params and the default expiry reach the registrar', async () => {
    const binding = `sip:carol@127.0.0.1:${n.port}`;
    await n.mi('reg_upsert', {
      aor: 'sip:carol@tsips.test',
      contact: binding,
      registrar: k.uri,
      third_party_registrant: 'sip:admin@tsips.test',
      binding_params: ';line=7',
    });
    const r = await n.waitState('sip:carol@tsips.test', 'REGISTERED_STATE');
    expect(r['third_party_registrant']).toBe('sip:admin@tsips.test');
    expect(r['binding_params']).toBe(';line=7');
    expect(Object.keys(r).slice(8)).toEqual(['binding_params', 'third_party_registrant', 'dst_IP', 'ip']);
    expect(r.expires).toBe(3600);
    expect(await k.contacts('carol')).toEqual([binding]);
  });

  it('reg_delete un-registers and removes the record', async () => {
    const binding = `sip:dave@127.0.0.1:${n.port}`;
    await n.mi('reg_upsert', { aor: 'sip:dave@tsips.test', contact: binding, registrar: k.uri });
    await n.waitState('sip:dave@tsips.test', 'REGISTERED_STATE');
    await n.mi('reg_delete', { aor: 'sip:dave@tsips.test', contact: binding, registrar: k.uri });
    expect((await n.list()).some((r) => r.AOR === 'sip:dave@tsips.test')).toBe(false);
    expect(await k.contacts('dave')).toEqual([]);
  });

  it('reg_upsert rejects a row with an invalid URI, naming the column', async () => {
    await expect(n.mi('reg_upsert', { aor: 'not a uri', contact: `sip:e@127.0.0.1`, registrar: k.uri })).rejects.toThrow(/column "aor" "not a uri" is not a valid URI/);
  });

  it('unique binding (reg-id + +sip.instance): a 200 listing two bindings makes it remove all and register alone', async () => {
    // Another UA already holds a binding for the AOR.
    const other = await UdpPeer.open();
    await other.send(
      request('REGISTER', k.uri, other.port, { headers: ['To: <sip:frank@tsips.test>', 'Expires: 300'] })
        .replace(/^To: <sip:bob@example.com>\r\n/m, '')
        .replace('Contact: <sip:alice@', 'Contact: <sip:frank-old@'),
      k.port,
    );
    expect(statusOf((await other.next()).text)).toBe(200);
    other.close();
    expect(await k.contacts('frank')).toEqual([`sip:frank-old@127.0.0.1:${other.port}`]);
    const binding = `sip:frank@127.0.0.1:${n.port}`;
    await n.mi('reg_upsert', {
      aor: 'sip:frank@tsips.test',
      contact: binding,
      registrar: k.uri,
      binding_params: ';reg-id=1;+sip.instance="<urn:uuid:11111111-AABBCCDDEEFF>"',
    });
    await waitFor(
      async () => (await k.contacts('frank')).length === 1 && (await k.contacts('frank'))[0] === binding,
      8000,
      () => 'frank not alone',
    );
    const states = n.events.filter((e) => e.aor === 'sip:frank@tsips.test').map((e) => e.state);
    // REGISTERING → (200 with two bindings: not counted as registered) UNREGISTERING (Contact: *) → NOT_REGISTERED
    // → REGISTERING → REGISTERED
    expect(states).toEqual([1, 8, 0, 1, 3]);
  });

  it('outbound proxy: the REGISTER goes to the proxy (which relays it) with the R-URI of the registrar', async () => {
    const seen: string[] = [];
    const relay = createSocket('udp4');
    await new Promise<void>((res) => relay.bind(0, '127.0.0.1', res));
    relay.on('message', (b, rinfo) => {
      const t = b.toString('latin1');
      if (rinfo.port === k.port) relay.send(b, n.port, '127.0.0.1');
      else {
        seen.push(t);
        relay.send(b, k.port, '127.0.0.1');
      }
    });
    const binding = `sip:gina@127.0.0.1:${n.port}`;
    try {
      await n.mi('reg_upsert', { aor: 'sip:gina@tsips.test', contact: binding, registrar: k.uri, proxy: `sip:127.0.0.1:${relay.address().port}`, expiry: 120 });
      const r = await n.waitState('sip:gina@tsips.test', 'REGISTERED_STATE');
      expect(r['proxy']).toBe(`sip:127.0.0.1:${relay.address().port}`);
      // Third-party registration through the same proxy: From is the registrant, To the AOR.
      await n.mi('reg_upsert', {
        aor: 'sip:hugo@tsips.test',
        contact: `sip:hugo@127.0.0.1:${n.port}`,
        registrar: k.uri,
        proxy: `sip:127.0.0.1:${relay.address().port}`,
        third_party_registrant: 'sip:admin@tsips.test',
      });
      await n.waitState('sip:hugo@tsips.test', 'REGISTERED_STATE');
    } finally {
      relay.close();
    }
    const reg = seen[0]!;
    expect(reg.split('\r\n')[0]).toBe(`REGISTER ${k.uri} SIP/2.0`);
    expect(headerOf(reg, 'To')).toBe('<sip:gina@tsips.test>');
    expect(headerOf(reg, 'From')).toMatch(/^<sip:gina@tsips\.test>;tag=/);
    expect(headerOf(reg, 'Contact')).toBe(`<${binding}>`);
    expect(headerOf(reg, 'Expires')).toBe('120');
    expect(headerOf(reg, 'CSeq')).toBe('1 REGISTER');
    expect(await k.contacts('gina')).toEqual([binding]);
    const third = seen.find((t) => headerOf(t, 'To') === '<sip:hugo@tsips.test>')!;
    expect(headerOf(third, 'From')).toMatch(/^<sip:admin@tsips\.test>;tag=/);
    expect(await k.contacts('hugo')).toEqual([`sip:hugo@127.0.0.1:${n.port}`]);
  });

  it('stopping the server un-registers every binding', async () => {
    const m = await Node.start();
    const binding = `sip:hank@127.0.0.1:${m.port}`;
    await m.mi('reg_upsert', { aor: 'sip:hank@tsips.test', contact: binding, registrar: k.uri });
    await m.waitState('sip:hank@tsips.test', 'REGISTERED_STATE');
    expect(await k.contacts('hank')).toEqual([binding]);
    await m.stop();
    expect(await k.contacts('hank')).toEqual([]);
  });

  it('default_expires and reregister_expiry_percentage: 25 % of a 10 s expiry refreshes every ~2.5 s', async () => {
    const m = await Node.start({ uac_registrant: { default_expires: 10, reregister_expiry_percentage: 25, timer_interval: 2, hash_size: 0 } });
    try {
      const binding = `sip:ivy@127.0.0.1:${m.port}`;
      await m.mi('reg_upsert', { aor: 'sip:ivy@tsips.test', contact: binding, registrar: k.uri });
      const r = await m.waitState('sip:ivy@tsips.test', 'REGISTERED_STATE');
      expect(r.expires).toBe(10);
      const regs = () => m.events.filter((e) => e.aor === 'sip:ivy@tsips.test' && e.state === 3);
      // Without the percentage the refresh would come timer_interval (2 s) before the end: 8 s after.
      await waitFor(
        () => regs().length >= 3,
        9000,
        () => `ivy registered ${regs().length} times`,
      );
      const gap = regs()[1]!.at - regs()[0]!.at;
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThan(6000); // due at 2.5 s, then the next visit of its bucket (every 2 s)
    } finally {
      await m.stop();
    }
  });

  it('forced_socket: the REGISTER leaves from that listen socket, not the first one', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const m = await Node.start({}, { listen: [`udp:127.0.0.1:${p1}`, `udp:127.0.0.1:${p2}`] });
    const relay = createSocket('udp4');
    await new Promise<void>((res) => relay.bind(0, '127.0.0.1', res));
    const from: number[] = [];
    relay.on('message', (b, rinfo) => {
      if (rinfo.port === k.port) relay.send(b, Number(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:(\d+)/m.exec(b.toString('latin1'))?.[1] ?? p1), '127.0.0.1');
      else {
        from.push(rinfo.port);
        relay.send(b, k.port, '127.0.0.1');
      }
    });
    try {
      await m.mi('reg_upsert', {
        aor: 'sip:jack@tsips.test',
        contact: `sip:jack@127.0.0.1:${p2}`,
        registrar: k.uri,
        proxy: `sip:127.0.0.1:${relay.address().port}`,
        forced_socket: `udp:127.0.0.1:${p2}`,
      });
      const r = await m.waitState('sip:jack@tsips.test', 'REGISTERED_STATE');
      expect(r.socket).toBe(`udp:127.0.0.1:${p2}`);
      // socket before proxy, and dst_IP/ip is the proxy the REGISTERs go to, as OpenSIPS 4.0 lists them.
      expect(Object.keys(r).slice(8)).toEqual(['socket', 'proxy', 'dst_IP', 'ip']);
      expect(from).toEqual([p2]);
      await expect(m.mi('reg_upsert', { aor: 'sip:kim@tsips.test', contact: 'sip:kim@127.0.0.1', registrar: k.uri, forced_socket: 'udp:127.0.0.1:1' })).rejects.toThrow(
        'forced_socket "udp:127.0.0.1:1" is not a listen socket',
      );
    } finally {
      relay.close();
      await m.stop();
    }
  });
});
