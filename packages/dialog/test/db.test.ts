import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDb, type Db } from '@core/sip';
import { MysqlDriver } from '@mod/db-mysql';
import { startMariaDb, type MariaDbServer } from '@tsips/testkit';
import { DlgStore, dlgOfRow, rowOf } from '../src/db.js';
import { dialogSchema } from '../src/schema.js';
import { DlgState } from '../src/state.js';
import { DLG_FLAG, type Dlg } from '../src/dialog.js';
import { Profiles, parseProfileDefs } from '../src/profiles.js';
import { bareDlg, silentLog } from './helpers.js';

function confirmedDlg(): Dlg {
  const d = bareDlg();
  d.state = DlgState.CONFIRMED;
  d.toTag = 'tt';
  d.calleeContact = 'sip:bob@127.0.0.1:5080';
  d.calleeRouteSet = '<sip:p1.example;lr>,<sip:p2.example;lr;x="a,b">';
  d.calleeSock = 'udp:127.0.0.1:5060';
  d.calleeCseq = 7;
  d.startTs = 1_700_000_000;
  d.expiresAt = 1_700_000_600_000;
  d.flags = DLG_FLAG.BYEONTIMEOUT | DLG_FLAG.PING_CALLEE;
  d.scriptFlags = 0x80000001 >>> 0;
  d.vals = new Map([['k', 'v,;"x']]);
  return d;
}

const cols = dialogSchema().columns.map((c) => c.name);

describe('dialog rows', () => {
  it('use every OpenSIPS column name and map back to the same dialog', () => {
    expect(cols).toEqual([
      'dlg_id',
      'callid',
      'from_uri',
      'from_tag',
      'to_uri',
      'to_tag',
      'mangled_from_uri',
      'mangled_to_uri',
      'caller_cseq',
      'callee_cseq',
      'caller_ping_cseq',
      'callee_ping_cseq',
      'caller_route_set',
      'callee_route_set',
      'caller_contact',
      'callee_contact',
      'caller_sock',
      'callee_sock',
      'state',
      'start_time',
      'timeout',
      'vars',
      'profiles',
      'script_flags',
      'module_flags',
      'flags',
    ]);
    const d = confirmedDlg();
    const p = new Profiles(silentLog);
    p.add(parseProfileDefs('caller', true));
    p.set(d, p.search('caller')!, 'alice');
    const row = rowOf(d);
    expect(Object.keys(row).sort()).toEqual([...cols].sort());
    const back = dlgOfRow(row, [])!;
    expect(back.profiles).toBe('caller=alice');
    expect(back.expiresSec).toBe(1_700_000_600);
    const b = back.dlg;
    for (const k of [
      'hEntry',
      'hId',
      'callid',
      'fromUri',
      'fromTag',
      'toUri',
      'toTag',
      'callerCseq',
      'calleeCseq',
      'callerContact',
      'calleeContact',
      'callerRouteSet',
      'calleeRouteSet',
      'callerSock',
      'calleeSock',
      'state',
      'startTs',
      'scriptFlags',
      'flags',
    ] as const) {
      expect(b[k], k).toEqual(d[k]);
    }
    expect(b.vals).toEqual(d.vals);
  });

  it('skip deleted dialogs', () => {
    const d = confirmedDlg();
    d.state = DlgState.DELETED;
    expect(dlgOfRow(rowOf(d), [])).toBeNull();
  });
});

async function storeSuite(open: () => Promise<Db>): Promise<void> {
  const db = await open();
  await db.ensureTable(dialogSchema('dialog'));
  await db.delete('dialog', {});
  const saved: Dlg[] = [];
  // db_mode 1: each change is written at once; an ended dialog is removed.
  const s1 = new DlgStore(db, 'dialog', 1, silentLog, (d) => saved.push(d));
  const d = confirmedDlg();
  s1.changed(d);
  await s1.flush();
  expect(saved).toEqual([d]);
  let rows = await db.select('dialog');
  expect(rows).toHaveLength(1);
  expect(rows[0]!['callee_route_set']).toBe(d.calleeRouteSet);
  expect(Number(rows[0]!['dlg_id'])).toBe(d.dbId);
  d.callerCseq = 9;
  s1.changed(d);
  await s1.flush();
  rows = await db.select('dialog');
  expect(rows[0]!['caller_cseq']).toBe('9');
  d.state = DlgState.DELETED;
  s1.changed(d);
  await s1.flush();
  expect(await db.select('dialog')).toHaveLength(0);
  // An unconfirmed dialog is not written.
  s1.changed(bareDlg());
  await s1.flush();
  expect(await db.select('dialog')).toHaveLength(0);
  await s1.close();

  // db_mode 2: nothing until the period.
  const s2 = new DlgStore(db, 'dialog', 2, silentLog, () => undefined);
  s2.startPeriodic(0.2);
  const e = confirmedDlg();
  s2.changed(e);
  expect(await db.select('dialog')).toHaveLength(0);
  await expect.poll(async () => (await db.select('dialog')).length, { timeout: 3000, interval: 50 }).toBe(1);
  await s2.close();

  // db_mode 3: nothing until syncAll (shutdown).
  const s3 = new DlgStore(db, 'dialog', 3, silentLog, () => undefined);
  const f = confirmedDlg();
  s3.changed(f);
  await s3.flush();
  expect(await db.select('dialog')).toHaveLength(1);
  await s3.syncAll([f]);
  expect(await db.select('dialog')).toHaveLength(2);
  await s3.clearTable();
  expect(await db.select('dialog')).toHaveLength(0);
  await s3.close();
  await db.close();
}

describe('dialog store', () => {
  it('writes per db_mode in memory', async () => {
    const mem = new MemoryDb();
    await storeSuite(async () => mem);
  });

  describe('on MariaDB', () => {
    let maria: MariaDbServer;
    beforeAll(async () => {
      maria = await startMariaDb();
    });
    afterAll(async () => {
      await maria?.stop();
    });
    it('writes per db_mode', async () => {
      await storeSuite(() => new MysqlDriver().open(maria.url));
    });
  });
});
