/**
 * Persistence on a real MariaDB: for each db_mode, a call set up on one server lives on in a second server
 * started on the same address with the same DB (DLGCB_LOADED, in-dialog BYE matched by did, timeouts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MysqlDriver } from '@mod/db-mysql';
import dbMysql from '@mod/db-mysql';
import { startMariaDb, type MariaDbServer } from '@tsips/testkit';
import type { Db } from '@core/sip';
import { Proxy, answerNext, call, type Call } from './proxy.js';
import { methodOf, statusOf } from './sip-ua.js';

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

/** Rows in the dialog table; a failed SELECT fails the test (it must never read as 0 rows). */
const rows = async () => (await db.select('dialog')).length;
const saves = (p: Proxy, callId: string) => p.cbTypes(callId).filter((t) => t === 'DLGCB_SAVED').length;

function start(mode: number, port = 0, extra: Record<string, unknown> = {}): Promise<Proxy> {
  return Proxy.start({ dialog: { db_mode: mode, db_url: maria.url, db_update_period: 0.3, profiles_no_value: 'calls', ...extra } }, [dbMysql], port);
}

describe.each([1, 2, 3])('db_mode %i', (mode) => {
  it('keeps a call across a restart: loaded with its profiles and values, BYE matched, row removed', async () => {
    await db.delete('dialog', {}).catch(() => 0); // the table may not exist yet
    // The db_update_period timer runs on a fake clock: the period passes when the test says, not when
    // the machine gets round to it. Sockets, DB and every other timer stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let a: Proxy;
    let c: Call;
    let port: number;
    try {
      a = await start(mode);
      port = a.port;
      a.hooks.initial = (ctx) => {
        ctx.set_dlg_profile('calls');
        ctx.store_dlg_value('acct', '42');
      };
      c = await call(a);
      if (mode === 1) {
        await expect.poll(rows, { timeout: 5000 }).toBe(1);
        expect(a.cbTypes(c.caller.callId)).toContain('DLGCB_SAVED');
      } else if (mode === 2) {
        expect(await rows()).toBe(0); // not before the period
        expect(saves(a, c.caller.callId)).toBe(0);
        vi.advanceTimersByTime(300); // db_update_period
        await expect.poll(rows, { timeout: 5000 }).toBe(1);
        await expect.poll(() => saves(a, c.caller.callId)).toBe(1);
      } else {
        vi.advanceTimersByTime(3000); // ten periods: mode 3 has no periodic write
        expect(await rows()).toBe(0); // only on shutdown
      }
      await a.stop();
    } finally {
      vi.useRealTimers();
    }
    expect(await rows()).toBe(1);
    // Mode 3 wrote it once, at shutdown (a write on change would be a second DLGCB_SAVED).
    if (mode === 3) expect(saves(a, c.caller.callId)).toBe(1);

    const b = await start(mode, port);
    const list = (await b.mi('dlg_list_ctx', { callid: c.caller.callId })) as { Dialogs: { state: number; context: Record<string, unknown> }[] };
    expect(list.Dialogs).toHaveLength(1);
    expect(list.Dialogs[0]?.state).toBe(4);
    expect(list.Dialogs[0]?.context['values']).toEqual({ acct: '42' });
    expect(b.cbTypes(c.caller.callId)[0]).toBe('DLGCB_LOADED');
    expect(b.stat('active_dialogs')).toBe(1);
    expect(await b.mi('profile_get_size', { profile: 'calls' })).toEqual({ Profile: { name: 'calls', value: null, count: 1 } });
    if (mode === 3) expect(await rows()).toBe(0); // memory is the truth until the next shutdown
    // The callee ends the call; the new server matches the BYE by its did.
    c.callee.cseq = 1;
    await c.callee.sendInDialog('BYE');
    expect(methodOf(await answerNext(c.caller))).toBe('BYE');
    expect(statusOf((await c.callee.nextNon100()).text)).toBe(200);
    expect(b.cbTypes(c.caller.callId)).toContain('DLGCB_TERMINATED');
    expect(b.stat('active_dialogs')).toBe(0);
    if (mode !== 3) await expect.poll(rows, { timeout: 3000 }).toBe(0);
    await b.stop();
    expect(await rows()).toBe(0);
    c.caller.close();
    c.callee.close();
  });
});

describe('DLGCB_SAVED for the delete', () => {
  it.each([
    [1, 'BYE'],
    [2, 'BYE'],
    [1, 'dlg_end_dlg'],
    [2, 'dlg_end_dlg'],
  ] as const)('db_mode %i, ended by %s: the row delete raises SAVED before DESTROY (callbacks kept until then)', async (mode, how) => {
    await db.delete('dialog', {}).catch(() => 0);
    const a = await start(mode);
    const c = await call(a);
    await expect.poll(rows, { timeout: 3000 }).toBe(1);
    if (how === 'BYE') {
      await c.caller.sendInDialog('BYE');
      await answerNext(c.callee);
      expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    } else {
      await a.mi('dlg_end_dlg', { dialog_id: c.caller.callId });
      await answerNext(c.callee);
      await answerNext(c.caller);
    }
    await expect.poll(() => a.cbTypes(c.caller.callId).at(-1), { timeout: 3000 }).toBe('FREE');
    expect(await rows()).toBe(0);
    const types = a.cbTypes(c.caller.callId);
    const end = types.slice(types.indexOf('DLGCB_TERMINATED'));
    expect(end).toContain('DLGCB_SAVED');
    expect(end.indexOf('DLGCB_SAVED')).toBeLessThan(end.indexOf('DLGCB_DESTROY'));
    expect(end.slice(-2)).toEqual(['DLGCB_DESTROY', 'FREE']);
    await a.stop();
    c.caller.close();
    c.callee.close();
  });
});

describe('loaded dialogs keep their timeout', () => {
  it('expires after a restart at the stored time, with BYE both sides', async () => {
    await db.delete('dialog', {}).catch(() => 0);
    const a = await start(1);
    a.hooks.flags = 'B';
    a.hooks.initial = (ctx) => void ctx.DLG_timeout(2);
    const port = a.port;
    const c = await call(a);
    await expect.poll(rows).toBe(1);
    await a.stop();
    const b = await start(1, port);
    expect(b.cbTypes(c.caller.callId)[0]).toBe('DLGCB_LOADED');
    expect(methodOf(await answerNext(c.callee, 200, 4000))).toBe('BYE');
    expect(methodOf(await answerNext(c.caller, 200, 4000))).toBe('BYE');
    expect(b.cbTypes(c.caller.callId)).toContain('DLGCB_EXPIRED');
    await expect.poll(rows).toBe(0);
    await b.stop();
    c.caller.close();
    c.callee.close();
  });
});

describe('MI on the DB', () => {
  it('dlg_restore_db rewrites the table from memory; dlg_db_sync loads rows missing from memory', async () => {
    await db.delete('dialog', {}).catch(() => 0);
    const a = await start(1);
    const c = await call(a);
    await expect.poll(rows).toBe(1);
    await db.delete('dialog', {});
    expect(await a.mi('dlg_restore_db')).toEqual({ written: 1 });
    expect(await rows()).toBe(1);
    // Another server wrote a dialog into the table: dlg_db_sync brings it in (DLGCB_LOADED).
    const [row] = await db.select('dialog');
    await db.insert('dialog', { ...row!, dlg_id: Number(row!['dlg_id']) + 1000, callid: 'foreign@x' });
    expect(await a.mi('dlg_db_sync')).toEqual({ loaded: 1 });
    expect(a.cbTypes('foreign@x')).toEqual(['DLGCB_LOADED']);
    expect(((await a.mi('dlg_list')) as { Dialogs: unknown[] }).Dialogs).toHaveLength(2);
    await a.mi('dlg_end_dlg', { dialog_id: c.caller.callId });
    await answerNext(c.callee);
    await answerNext(c.caller);
    await a.stop();
    c.caller.close();
    c.callee.close();
  });

  it('refuses to start when db_mode needs a DB that cannot be opened, naming the param', async () => {
    await expect(Proxy.start({ dialog: { db_mode: 1, db_url: 'postgres://x@127.0.0.1/db' } })).rejects.toThrow(
      /db_mode=1 needs db_url "postgres:\/\/x@127\.0\.0\.1\/db"/,
    );
  });
});
