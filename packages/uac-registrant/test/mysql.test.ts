/**
 * Rows from MariaDB through @mod/db-mysql: loading (a bad row is logged and skipped, a disabled row stays
 * quiet), reg_enable/reg_disable writing the state column, reg_reload with added, changed, removed and
 * unchanged rows, the reload of one record, and the forced_socket start check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, DbRow } from '@core/sip';
import dbMysql, { MysqlDriver } from '@mod/db-mysql';
import { captureLog, freePort, startKamailioRegistrar, waitFor, startMariaDb, type KamailioRegistrar, type MariaDbServer } from '@tsips/testkit';
import { DEFAULT_COLUMNS, registrantSchema } from '../src/index.js';
import { Node } from './node.js';

let maria: MariaDbServer;
let db: Db;
let k: KamailioRegistrar;
let n: Node;
const log = captureLog('info');
let port = 0;

const row = (user: string, extra: DbRow = {}): DbRow => ({
  registrar: k.uri,
  aor: `sip:${user}@tsips.test`,
  binding_URI: `sip:${user}@127.0.0.1:${port}`,
  expiry: 300,
  ...extra,
});
const key = (user: string) => ({ aor: `sip:${user}@tsips.test`, contact: `sip:${user}@127.0.0.1:${port}`, registrar: k.uri });

beforeAll(async () => {
  [maria, k] = await Promise.all([startMariaDb(), startKamailioRegistrar({ auth: false })]);
  db = await new MysqlDriver({}).open(maria.url);
  await db.ensureTable(registrantSchema());
  // A port chosen up front: the bindings name it before the server starts.
  port = await freePort();
  await db.insertMany('registrant', [row('alice'), row('bad', { aor: 'sip:' }), row('bob', { state: 1 }), row('carol'), row('dave')]);
  n = await Node.start({ uac_registrant: { db_url: maria.url } }, { modules: [dbMysql], listen: [`udp:127.0.0.1:${port}`], logDestination: log.destination });
}, 60_000);
afterAll(async () => {
  await n?.stop();
  await db?.close();
  await Promise.all([k?.stop(), maria?.stop()]);
});

describe('registrant rows from MariaDB', () => {
  it('loads the good rows; the bad one is logged with its row and column and skipped; a disabled one stays quiet', async () => {
    await n.waitState('sip:alice@tsips.test', 'REGISTERED_STATE');
    await n.waitState('sip:carol@tsips.test', 'REGISTERED_STATE');
    const aors = (await n.list()).map((r) => r.AOR).sort();
    expect(aors).toEqual(['sip:alice@tsips.test', 'sip:bob@tsips.test', 'sip:carol@tsips.test', 'sip:dave@tsips.test']);
    const bad = log.entries.find((e) => e.level === 'error' && e.msg.includes('row skipped'));
    expect(bad?.msg).toMatch(/^registrant id=2 \(sip:\): column "aor" "sip:" is not a valid URI .*; row skipped$/);
    const bob = await n.one('sip:bob@tsips.test', key('bob').contact, k.uri);
    expect(bob).toMatchObject({ state: 'NOT_REGISTERED_STATE', enabled: 'no' });
    expect(await k.contacts('bob')).toEqual([]);
  });

  it('reg_enable and reg_disable write the state column', async () => {
    await n.mi('reg_enable', key('bob'));
    await n.waitState('sip:bob@tsips.test', 'REGISTERED_STATE');
    expect((await db.select('registrant', { aor: 'sip:bob@tsips.test' }))[0]?.['state']).toBe(0);
    await n.mi('reg_disable', key('bob'));
    await n.waitState('sip:bob@tsips.test', 'NOT_REGISTERED_STATE');
    expect((await db.select('registrant', { aor: 'sip:bob@tsips.test' }))[0]?.['state']).toBe(1);
    expect(await k.contacts('bob')).toEqual([]);
  });

  it('reg_reload: unchanged rows are not re-registered, changed ones re-register, removed ones un-register, new ones register', async () => {
    await n.waitState('sip:dave@tsips.test', 'REGISTERED_STATE');
    const before = n.events.length;
    await db.update('registrant', { aor: 'sip:carol@tsips.test' }, { expiry: 200 });
    await db.delete('registrant', { aor: 'sip:dave@tsips.test' });
    await db.insert('registrant', row('erin'));
    await n.mi('reg_reload');
    await n.waitState('sip:erin@tsips.test', 'REGISTERED_STATE');
    const carol = await n.waitState('sip:carol@tsips.test', 'REGISTERED_STATE');
    expect(carol.expires).toBe(200);
    const after = n.events.slice(before);
    expect(after.filter((e) => e.aor === 'sip:alice@tsips.test')).toEqual([]); // unchanged: nothing sent
    expect(after.filter((e) => e.aor === 'sip:carol@tsips.test').map((e) => e.state)).toEqual([8, 0, 1, 3]); // old binding removed first
    expect(after.filter((e) => e.aor === 'sip:dave@tsips.test').map((e) => e.state)).toEqual([8, 0]);
    expect((await n.list()).some((r) => r.AOR === 'sip:dave@tsips.test')).toBe(false);
    expect(await k.contacts('dave')).toEqual([]);
    expect(await k.contacts('alice')).toEqual([key('alice').contact]);
    expect(await k.contacts('carol')).toEqual([key('carol').contact]);
  });

  it('reg_reload of one record reloads only that one', async () => {
    await db.update('registrant', { aor: 'sip:alice@tsips.test' }, { expiry: 100 });
    await db.update('registrant', { aor: 'sip:erin@tsips.test' }, { expiry: 100 });
    await n.mi('reg_reload', key('alice'));
    await waitFor(async () => (await n.one(key('alice').aor, key('alice').contact, k.uri)).expires === 100, 8000);
    await n.waitState('sip:alice@tsips.test', 'REGISTERED_STATE');
    expect((await n.one(key('erin').aor, key('erin').contact, k.uri)).expires).toBe(300);
  });

  it('a forced_socket that is not a listen socket stops the start, naming it', async () => {
    await db.insert('registrant', row('fred', { forced_socket: 'udp:127.0.0.1:1' }));
    try {
      await expect(Node.start({ uac_registrant: { db_url: maria.url } }, { modules: [dbMysql] })).rejects.toThrow(
        /registrant sip:fred@tsips.test: forced_socket "udp:127.0.0.1:1" is not a listen socket \(listening on udp:127.0.0.1:\d+\)/,
      );
    } finally {
      await db.delete('registrant', { aor: 'sip:fred@tsips.test' });
    }
  });

  it('a table and columns renamed by table_name and the *_column params', async () => {
    const cols = { ...DEFAULT_COLUMNS, aor: 'to_uri', binding_URI: 'contact_uri', registrar: 'registrar_uri', state: 'status' };
    await db.ensureTable(registrantSchema('my_registrant', cols));
    await db.insert('my_registrant', { registrar_uri: k.uri, to_uri: 'sip:lena@tsips.test', contact_uri: 'sip:lena@127.0.0.1:5999', status: 0 });
    const m = await Node.start(
      {
        uac_registrant: {
          db_url: maria.url,
          table_name: 'my_registrant',
          aor_column: 'to_uri',
          binding_URI_column: 'contact_uri',
          registrar_column: 'registrar_uri',
          state_column: 'status',
        },
      },
      { modules: [dbMysql] },
    );
    try {
      await m.waitState('sip:lena@tsips.test', 'REGISTERED_STATE');
      expect(await k.contacts('lena')).toEqual(['sip:lena@127.0.0.1:5999']);
      await m.mi('reg_disable', { aor: 'sip:lena@tsips.test', contact: 'sip:lena@127.0.0.1:5999', registrar: k.uri });
      expect((await db.select('my_registrant', { to_uri: 'sip:lena@tsips.test' }))[0]?.['status']).toBe(1);
    } finally {
      await m.stop();
    }
  });
});
