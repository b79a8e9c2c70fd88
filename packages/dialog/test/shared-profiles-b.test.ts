/**
 * Shared profiles beyond the `/s` modparam ones (issue 12, item 4): `/b` profiles (OpenSIPS: binary
 * replication over the clusterer; tsips: the same cachedb counts as `/s`, so cachedb_url is required), and
 * `/s` profiles a module adds through the dialog API — in its init or after start. Two servers, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '@core/sip';
import cachedbRedis from '@mod/cachedb-redis';
import { startRedis, type RedisServer } from '@tsips/testkit';
import { Proxy, answerNext, call, type Call } from './proxy.js';

/**
 * A module that binds the dialog API and adds shared profiles in its init (load_dlg_api + add_profiles); the
 * servers declare none in their modparams, so nothing else makes the dialog module open the cachedb.
 */
const apiProfiles = defineModule({
  name: 'apiprofiles',
  version: '0.0.0',
  deps: [{ module: 'dialog' }],
  init(ctx) {
    if (ctx.api('dialog').addProfiles('apis/s; calls/b', false) !== 0) throw new Error('addProfiles failed');
    return {};
  },
});

let redis: RedisServer;
let a: Proxy;
let b: Proxy;
beforeAll(async () => {
  redis = await startRedis();
  const mp = (node: string) => ({
    dialog: { cachedb_url: redis.url, profile_node_id: node, profile_refresh_interval: 0.5 },
    cachedb_redis: {},
  });
  a = await Proxy.start(mp('A'), [cachedbRedis, apiProfiles]);
  b = await Proxy.start(mp('B'), [cachedbRedis, apiProfiles]);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

const count = async (s: Proxy, profile: string) => ((await s.mi('profile_get_size', { profile })) as { Profile: { count: number } }).Profile.count;

async function hangUp(c: Call): Promise<void> {
  await c.caller.sendInDialog('BYE');
  await answerNext(c.callee);
  await c.caller.nextNon100();
  c.caller.close();
  c.callee.close();
}

describe('/b and API-added shared profiles over Redis', () => {
  it("a /b profile and an /s profile added in a module's init count the calls of both servers", async () => {
    for (const s of [a, b]) {
      s.hooks = {
        flags: '',
        recordRoute: true,
        initial: (ctx) => {
          ctx.set_dlg_profile('calls');
          expect(s.api.setProfile(ctx, undefined, s.api.searchProfile('apis')!)).toBe(0);
        },
      };
    }
    expect(a.api.searchProfile('calls')?.sharing).toBe('b');
    const c1 = await call(a);
    const c2 = await call(b);
    for (const s of [a, b]) {
      await expect.poll(() => count(s, 'calls')).toBe(2);
      await expect.poll(() => count(s, 'apis')).toBe(2);
    }
    await hangUp(c1);
    await hangUp(c2);
    await expect.poll(() => count(b, 'apis')).toBe(0);
    await expect.poll(() => count(a, 'calls')).toBe(0);
  });

  it('an /s profile added through the API after start is shared too', async () => {
    for (const s of [a, b]) expect(s.api.addProfiles('late/s', true)).toBe(0);
    a.hooks = {
      flags: '',
      recordRoute: true,
      initial: (ctx) => void expect(a.api.setProfile(ctx, 'gw1', a.api.searchProfile('late')!)).toBe(0),
    };
    const c = await call(a);
    await expect.poll(() => b.api.getProfileSize(b.api.searchProfile('late')!, 'gw1')).toBe(1);
    await hangUp(c);
    await expect.poll(() => b.api.getProfileSize(b.api.searchProfile('late')!, 'gw1')).toBe(0);
  });

  it('a /b profile without cachedb_url stops the start with an error naming it', async () => {
    await expect(Proxy.start({ dialog: { profiles_with_value: 'trunk/b' } })).rejects.toThrow(
      /profiles_with_value: profile "trunk\/b" is shared over binary replication in OpenSIPS; tsips shares \/b profiles through cachedb_url, which is not set/,
    );
  });
});
