/**
 * Against a Kamailio registrar that challenges every REGISTER (password = user + "-secret"): digest through
 * uac_auth, wrong credentials, a shorter granted expiry, 423, and a registrar that goes away and comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioPassword, startKamailioRegistrar, waitFor, type KamailioRegistrar } from '@tsips/testkit';
import { Node } from './node.js';

let k: KamailioRegistrar;
let n: Node;
beforeAll(async () => {
  k = await startKamailioRegistrar({ auth: true, minExpires: 4, maxExpires: 6 });
  n = await Node.start({ uac_registrant: { timer_interval: 2, hash_size: 1, failure_retry_interval: 1, failure_retry_max_interval: 4 } });
});
afterAll(async () => {
  await n?.stop();
  await k?.stop();
});

const row = (user: string, extra: Record<string, unknown> = {}) => ({
  aor: `sip:${user}@tsips.test`,
  contact: `sip:${user}@127.0.0.1:${n.port}`,
  registrar: k.uri,
  username: user,
  password: kamailioPassword(user),
  expiry: 5,
  ...extra,
});

describe('uac_registrant with digest auth (Kamailio)', () => {
  it('registers through a 401: REGISTERING → AUTHENTICATING → REGISTERED', async () => {
    await n.mi('reg_upsert', row('alice'));
    await n.waitState('sip:alice@tsips.test', 'REGISTERED_STATE');
    expect(await k.contacts('alice')).toEqual([`sip:alice@127.0.0.1:${n.port}`]);
    const ev = n.events.filter((e) => e.aor === 'sip:alice@tsips.test').map((e) => [e.old_state, e.state, e.code]);
    expect(ev.slice(0, 3)).toEqual([
      [0, 1, 0],
      [1, 2, 401],
      [2, 3, 200],
    ]);
    // reason: the reason phrase of the reply that caused the change, '' when a request caused it.
    const reasons = n.events.filter((e) => e.aor === 'sip:alice@tsips.test').map((e) => e.reason);
    expect(reasons.slice(0, 3)).toEqual(['', 'Unauthorized', 'OK']);
  });

  it('a wrong password ends in WRONG_CREDENTIALS_STATE and is not retried before the backoff', async () => {
    await n.mi('reg_upsert', row('bob', { password: 'wrong' }));
    await n.waitState('sip:bob@tsips.test', 'WRONG_CREDENTIALS_STATE');
    expect(await k.contacts('bob')).toEqual([]);
    const bob = () => n.events.filter((e) => e.aor === 'sip:bob@tsips.test');
    const first = bob().findIndex((e) => e.state === 6);
    // One REGISTER and one authenticated REGISTER per attempt: never a third request in the same attempt.
    expect(
      bob()
        .slice(0, first + 1)
        .map((e) => e.state),
    ).toEqual([1, 2, 6]);
    expect(bob()[first]).toMatchObject({ code: 401, reason: 'Unauthorized' });
    expect(n.stat('failed')).toBeGreaterThanOrEqual(1);
    // Retried later (backoff from failure_retry_interval 1 s), still refused.
    await waitFor(
      () => bob().filter((e) => e.state === 6).length >= 2,
      8000,
      () => 'bob was not retried',
    );
    const failedAt = bob()[first]!.at;
    const retryAt = bob().find((e, i) => i > first && e.state === 1)!.at;
    expect(retryAt - failedAt).toBeGreaterThanOrEqual(700); // 1 s ± 25 % jitter, give or take a timer tick
    await n.mi('reg_delete', { aor: 'sip:bob@tsips.test', contact: `sip:bob@127.0.0.1:${n.port}`, registrar: k.uri });
  });

  it('a shorter granted expiry (Contact expires=6 for 3600 asked) is honoured and refreshed before it ends', async () => {
    await n.mi('reg_upsert', row('carol', { expiry: 3600 }));
    const r = await n.waitState('sip:carol@tsips.test', 'REGISTERED_STATE');
    expect(r.expires).toBe(6);
    const regs = () => n.events.filter((e) => e.aor === 'sip:carol@tsips.test' && e.state === 3).length;
    const start = Date.now();
    await waitFor(
      () => regs() >= 3,
      15_000,
      () => `carol registered ${regs()} times`,
    );
    // Three registrations of 6 s in at most ~12 s, and the binding never lapsed at the registrar.
    expect(Date.now() - start).toBeLessThan(13_000);
    expect(await k.contacts('carol')).toEqual([`sip:carol@127.0.0.1:${n.port}`]);
  });

  it('423 Interval Too Brief: sent again with the Min-Expires it names', async () => {
    await n.mi('reg_upsert', row('dave', { expiry: 2 }));
    const r = await n.waitState('sip:dave@tsips.test', 'REGISTERED_STATE');
    expect(r.expires).toBe(4);
    expect(n.events.some((e) => e.aor === 'sip:dave@tsips.test' && e.code === 423)).toBe(false); // 423 is not a state change
    expect(await k.contacts('dave')).toEqual([`sip:dave@127.0.0.1:${n.port}`]);
  });

  it('registrar down: REGISTER_TIMEOUT_STATE, then registered again once it is back', async () => {
    await n.mi('reg_upsert', row('erin'));
    await n.waitState('sip:erin@tsips.test', 'REGISTERED_STATE');
    await k.down();
    await n.mi('reg_force_register', { aor: 'sip:erin@tsips.test', contact: `sip:erin@127.0.0.1:${n.port}`, registrar: k.uri });
    await n.waitState('sip:erin@tsips.test', 'REGISTER_TIMEOUT_STATE', 5000);
    expect(n.stat('failed')).toBeGreaterThanOrEqual(1);
    await k.up();
    await n.waitState('sip:erin@tsips.test', 'REGISTERED_STATE', 15_000);
    expect(await k.contacts('erin')).toEqual([`sip:erin@127.0.0.1:${n.port}`]);
  });

  it('pending counts the rows waiting for a reply: 1 while the REGISTER goes unanswered, 0 after; reason "timeout"', async () => {
    // A node of its own, so that no other row (carol's refreshes) moves the gauges.
    const m = await Node.start({ tm: { fr_timer: 2 }, uac_registrant: { timer_interval: 2, hash_size: 0, failure_retry_interval: 30 } });
    const key = { aor: 'sip:fred@tsips.test', contact: `sip:fred@127.0.0.1:${m.port}`, registrar: k.uri };
    try {
      await m.mi('reg_upsert', { ...row('fred'), contact: key.contact, expiry: 60 });
      await m.waitState(key.aor, 'REGISTERED_STATE');
      expect([m.stat('pending'), m.stat('registered'), m.stat('failed')]).toEqual([0, 1, 0]);
      await k.down();
      await m.mi('reg_force_register', key);
      // The REGISTER is out and tm retransmits it until fr_timer (2 s): the row is pending, not registered.
      expect((await m.one(key.aor, key.contact, key.registrar)).state).toBe('REGISTERING_STATE');
      expect([m.stat('pending'), m.stat('registered'), m.stat('failed')]).toEqual([1, 0, 0]);
      await m.waitState(key.aor, 'REGISTER_TIMEOUT_STATE', 6000);
      expect([m.stat('pending'), m.stat('registered'), m.stat('failed')]).toEqual([0, 0, 1]);
      // The event reaches the test after the state change MI shows: wait for it.
      const fred = () => m.events.filter((e) => e.aor === key.aor);
      await waitFor(
        () => fred().at(-1)?.state === 4,
        5000,
        () => `no REGISTER_TIMEOUT event: ${JSON.stringify(fred().at(-1))}`,
      );
      expect(fred().at(-1)).toMatchObject({ old_state: 1, state: 4, code: 408, reason: 'timeout' });
      // Back up: a forced REGISTER (the backoff is 30 s) is pending through its 401 round, then registered.
      await k.up();
      await m.mi('reg_force_register', key);
      expect(m.stat('pending')).toBe(1);
      await m.waitState(key.aor, 'REGISTERED_STATE', 6000);
      expect([m.stat('pending'), m.stat('registered'), m.stat('failed')]).toEqual([0, 1, 0]);
    } finally {
      await m.stop();
    }
  });
});
