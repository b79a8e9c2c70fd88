/**
 * Restart persistence: SIGKILL mid-call with db_mode 1 on MariaDB and db_mode 2 on Redis (cachedb), the
 * restarted process goes on with the session; and restore_logic_info for an API owner after a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule, SipServer, type AnyModule, type Db } from '@core/sip';
import tm from '@mod/tm';
import dbMysql, { MysqlDriver } from '@mod/db-mysql';
import { RedisDriver } from '@mod/cachedb-redis';
import { freePort, startMariaDb, startRedis, type MariaDbServer, type RedisServer } from '@tsips/testkit';
import b2b, { B2B_CLIENT, type B2bApi, type B2bEntityType } from '../src/index.js';
import { Ua, headerOf, methodOf, statusOf } from './helpers.js';

const main = fileURLToPath(new URL('./fixtures/uas-main.ts', import.meta.url));

function startChild(port: number, params: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, String(port), JSON.stringify(params)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('b2b child did not start')), 20000);
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`b2b child exited with ${code}`)));
  });
}

async function killed(c: ChildProcess): Promise<void> {
  c.kill('SIGKILL');
  await new Promise((r) => c.once('exit', r));
}

/** A call established with the child; SIGKILL; a new child; the session still answers OPTIONS and BYE. */
async function crashMidCall(params: Record<string, unknown>, stored: () => Promise<number>, settleMs = 0): Promise<void> {
  const port = await freePort();
  const ua = await Ua.open(port);
  const a = await startChild(port, params);
  let b: ChildProcess | undefined;
  try {
    await ua.invite();
    const ok = (await ua.next(5000)).text;
    expect(statusOf(ok)).toBe(200);
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    await expect.poll(stored, { timeout: 5000 }).toBe(1);
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs)); // the ACK's state change reaches a write-back
    await killed(a);
    b = await startChild(port, params);
    await ua.sendInDialog('OPTIONS');
    const alive = (await ua.next(5000)).text;
    expect(alive.split('\r\n')[0]).toBe('SIP/2.0 200 alive');
    expect(headerOf(alive, 'CSeq')).toBe('2 OPTIONS');
    await ua.sendInDialog('BYE');
    expect(statusOf((await ua.next(5000)).text)).toBe(200);
    await expect.poll(stored, { timeout: 5000 }).toBe(0);
  } finally {
    if (b !== undefined) b.kill('SIGTERM');
    ua.close();
  }
}

describe('MariaDB, db_mode 1', () => {
  let maria: MariaDbServer;
  let db: Db;
  beforeAll(async () => {
    maria = await startMariaDb();
    db = await new MysqlDriver().open(maria.url);
  });
  afterAll(async () => {
    await db?.close();
    await maria?.stop();
  });

  it('an established UA session survives SIGKILL: OpenSIPS columns written at once, loaded back, ended by BYE', async () => {
    await crashMidCall({ db_mode: 1, db_url: maria.url }, async () => {
      try {
        return (await db.select('b2b_entities')).length;
      } catch {
        return -1; // the table is created by the first child
      }
    });
  }, 60_000);

  it('db_mode 2 (write-back on stop): an API owner gets onRestored and takes its entity back with restore_logic_info', async () => {
    const restored: string[] = [];
    const notes: string[] = [];
    let api!: B2bApi;
    const owner = defineModule({
      name: 'b2b_owner',
      version: '0.0.0',
      deps: [{ module: 'b2b_entities' }],
      init(ctx) {
        api = ctx.api('b2b_entities');
        api.onRestored((et: B2bEntityType, key, mod, logic) => {
          if (mod !== 'b2b_owner') return;
          restored.push(`${et}:${logic}`);
          api.restore_logic_info(et, key, (i) => void notes.push(`${i.method}:${String(i.param)}`), 'restored-param');
        });
        return {};
      },
    });
    const port = await freePort();
    const mk = () =>
      new SipServer({
        listen: [`udp:127.0.0.1:${port}`],
        mi: false,
        log: { level: 'silent' },
        modules: [tm, dbMysql, b2b, owner] as AnyModule[],
        modparams: { b2b_entities: { db_mode: 2, db_url: maria.url, update_period: 100 } } as never,
        routes: { request: () => undefined },
      });
    const callee = await Ua.open(port, 'bob');
    const s1 = mk();
    await s1.start();
    const key = api.client_new(
      { ruri: `sip:bob@127.0.0.1:${callee.port}`, from: 'sip:a@example.com', to: 'sip:b@example.com' },
      { notify: () => undefined, modName: 'b2b_owner', logicKey: 'L1' },
    );
    const inv = (await callee.next()).text;
    callee.learnInvite(inv);
    await callee.reply(inv, 200, 'OK');
    expect(methodOf((await callee.next()).text)).toBe('ACK');
    expect(await db.select('b2b_entities', { callid: key })).toEqual([]); // write-back: nothing yet
    await s1.stop(); // flushes
    expect((await db.select('b2b_entities', { callid: key }))[0]).toMatchObject({
      type: 1,
      state: 5,
      param: 'L1',
      mod_name: 'b2b_owner',
      tag1: callee.localTag,
      lm: 1,
      lrc: 200,
      lic: 1,
    });
    const s2 = mk();
    await s2.start();
    try {
      expect(restored).toEqual([`${B2B_CLIENT}:L1`]);
      await callee.sendInDialog('BYE');
      await expect.poll(() => notes).toEqual(['BYE:restored-param']);
      api.send_reply(B2B_CLIENT, key, { method: 'BYE', code: 200 });
      expect(statusOf((await callee.next()).text)).toBe(200);
      api.entity_delete(B2B_CLIENT, key);
    } finally {
      await s2.stop();
      callee.close();
    }
    expect(await db.select('b2b_entities', { callid: key })).toEqual([]);
  }, 60_000);
});

describe('Redis cachedb, db_mode 2', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('an established UA session survives SIGKILL once written back (update_period 1)', async () => {
    const cache = await new RedisDriver().open(redis.url);
    try {
      await crashMidCall(
        { db_mode: 2, cachedb_url: redis.url, update_period: 1, cachedb_key_prefix: 'b2bt$' },
        async () => (await cache.getByPrefix('b2bt$')).size,
        1500,
      );
    } finally {
      await cache.close();
    }
  }, 60_000);
});
