import { describe, expect, it } from 'vitest';
import { MemoryDb } from '../../src/storage/memory-db.js';
import type { TableSchema } from '../../src/storage/types.js';

const dialogTable: TableSchema = {
  name: 'dialog',
  version: 12,
  columns: [
    { name: 'dlg_id', type: 'bigint' },
    { name: 'callid', type: 'string', length: 255 },
    { name: 'state', type: 'int', default: 0 },
    { name: 'flags', type: 'int', nullable: true },
    { name: 'vars', type: 'blob', nullable: true },
  ],
  primaryKey: ['dlg_id'],
};

const locationTable: TableSchema = {
  name: 'location',
  version: 1013,
  columns: [
    { name: 'contact_id', type: 'bigint', autoIncrement: true },
    { name: 'username', type: 'string', length: 64 },
    { name: 'contact', type: 'string', length: 255 },
  ],
  primaryKey: ['contact_id'],
};

async function db(): Promise<MemoryDb> {
  const d = new MemoryDb();
  await d.ensureTable(dialogTable);
  await d.ensureTable(locationTable);
  return d;
}

describe('MemoryDb', () => {
  it('inserts, selects, updates and deletes, with defaults and nulls filled in', async () => {
    const d = await db();
    await d.insert('dialog', { dlg_id: 1, callid: 'a@h' });
    await d.insert('dialog', { dlg_id: 2, callid: 'b@h', state: 4 });
    expect(await d.select('dialog', { dlg_id: 1 })).toEqual([{ dlg_id: 1, callid: 'a@h', state: 0, flags: null, vars: null }]);
    expect(await d.update('dialog', { state: 0 }, { state: 3, flags: 7 })).toBe(1);
    expect(await d.select('dialog', { state: 3 }, { columns: ['callid', 'flags'] })).toEqual([{ callid: 'a@h', flags: 7 }]);
    expect(await d.delete('dialog', { callid: 'b@h' })).toBe(1);
    expect(await d.select('dialog')).toHaveLength(1);
    expect(await d.delete('dialog', {})).toBe(1);
    expect(await d.select('dialog')).toEqual([]);
  });

  it('keeps primary keys unique: insert of an existing key fails, replace overwrites', async () => {
    const d = await db();
    await d.insert('dialog', { dlg_id: 1, callid: 'a' });
    await expect(d.insert('dialog', { dlg_id: 1, callid: 'b' })).rejects.toMatchObject({ code: 'E_STORAGE' });
    await d.replace('dialog', { dlg_id: 1, callid: 'c', state: 2 });
    await d.replace('dialog', { dlg_id: 5, callid: 'd' });
    expect(await d.select('dialog', {}, { orderBy: 'dlg_id', columns: ['dlg_id', 'callid', 'state'] })).toEqual([
      { dlg_id: 1, callid: 'c', state: 2 },
      { dlg_id: 5, callid: 'd', state: 0 },
    ]);
  });

  it('inserts many rows at once, all or nothing', async () => {
    const d = await db();
    await d.insertMany('dialog', [
      { dlg_id: 1, callid: 'a' },
      { dlg_id: 2, callid: 'b' },
    ]);
    await expect(
      d.insertMany('dialog', [
        { dlg_id: 3, callid: 'c' },
        { dlg_id: 3, callid: 'dup' },
      ]),
    ).rejects.toMatchObject({ code: 'E_STORAGE' });
    expect((await d.select('dialog')).map((r) => r.dlg_id)).toEqual([1, 2]);
  });

  it('replaces many rows at once by primary key', async () => {
    const d = await db();
    await d.insertMany('dialog', [{ dlg_id: 1, callid: 'a' }]);
    await d.replaceMany('dialog', [
      { dlg_id: 1, callid: 'a2' },
      { dlg_id: 2, callid: 'b' },
    ]);
    expect((await d.select('dialog', {}, { orderBy: 'dlg_id' })).map((r) => [r.dlg_id, r.callid])).toEqual([
      [1, 'a2'],
      [2, 'b'],
    ]);
  });

  it('orders (NULL first, numbers numerically) and limits', async () => {
    const d = await db();
    await d.insertMany('dialog', [
      { dlg_id: 10, callid: 'x', flags: 9 },
      { dlg_id: 2, callid: 'y', flags: null },
      { dlg_id: 33, callid: 'z', flags: 10 },
    ]);
    expect((await d.select('dialog', {}, { orderBy: 'dlg_id' })).map((r) => r.dlg_id)).toEqual([2, 10, 33]);
    expect((await d.select('dialog', {}, { orderBy: 'flags', limit: 2 })).map((r) => r.flags)).toEqual([null, 9]);
    expect(await d.select('dialog', {}, { limit: 0 })).toEqual([]);
  });

  it('assigns auto-increment ids', async () => {
    const d = await db();
    await d.insert('location', { username: 'alice', contact: 'sip:alice@10.0.0.1' });
    await d.insert('location', { username: 'bob', contact: 'sip:bob@10.0.0.2' });
    await d.insert('location', { contact_id: 10, username: 'carol', contact: 'sip:carol@h' });
    await d.insert('location', { username: 'dave', contact: 'sip:dave@h' });
    expect((await d.select('location', {}, { orderBy: 'contact_id' })).map((r) => [r.contact_id, r.username])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
      [10, 'carol'],
      [11, 'dave'],
    ]);
  });

  it('refuses unknown columns and missing NOT NULL values of declared tables', async () => {
    const d = await db();
    await expect(d.insert('dialog', { dlg_id: 1, callid: 'a', bogus: 1 })).rejects.toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: memory://: table "dialog" has no column "bogus"]`,
    );
    await expect(d.insert('dialog', { dlg_id: 1 })).rejects.toThrowErrorMatchingInlineSnapshot(`[TsipsError: memory://: column "callid" of "dialog" cannot be null]`);
    await expect(d.select('dialog', { nope: 1 })).rejects.toMatchObject({ code: 'E_STORAGE' });
  });

  it('copies rows in and out, blobs included', async () => {
    const d = await db();
    const blob = Buffer.from('abc');
    const row = { dlg_id: 1, callid: 'a', vars: blob };
    await d.insert('dialog', row);
    row.callid = 'changed';
    blob[0] = 0x7a;
    const [out] = await d.select('dialog');
    expect(out?.callid).toBe('a');
    expect(out?.vars).toEqual(Buffer.from('abc'));
    if (out) out.callid = 'mutated';
    (out?.vars as Buffer)[1] = 0x7a;
    expect(await d.select('dialog', { vars: Buffer.from('abc') }, { columns: ['callid'] })).toEqual([{ callid: 'a' }]);
  });

  it('creates a table implicitly when used without a schema, in insertion order', async () => {
    const d = new MemoryDb();
    await d.insert('acc', { method: 'INVITE', n: 2 });
    await d.insert('acc', { method: 'INVITE', n: 2 });
    await d.insert('acc', { method: 'BYE', n: 1 });
    expect(await d.select('acc')).toEqual([
      { method: 'INVITE', n: 2 },
      { method: 'INVITE', n: 2 },
      { method: 'BYE', n: 1 },
    ]);
    expect(await d.select('missing')).toEqual([]);
    expect(await d.delete('missing', {})).toBe(0);
  });

  it('records table versions in the version table, as OpenSIPS does', async () => {
    const d = await db();
    await d.ensureTable({ ...dialogTable, version: 99 }); // exists: left as it is
    expect(await d.select('version', {}, { orderBy: 'table_name' })).toEqual([
      { table_name: 'dialog', table_version: 12 },
      { table_name: 'location', table_version: 1013 },
    ]);
  });

  it('updates that change a primary key re-key the row and refuse collisions', async () => {
    const d = await db();
    await d.insertMany('dialog', [
      { dlg_id: 1, callid: 'a' },
      { dlg_id: 2, callid: 'b' },
    ]);
    expect(await d.update('dialog', { dlg_id: 1 }, { dlg_id: 7 })).toBe(1);
    await d.insert('dialog', { dlg_id: 1, callid: 'again' });
    await expect(d.update('dialog', { dlg_id: 2 }, { dlg_id: 7 })).rejects.toMatchObject({ code: 'E_STORAGE' });
    expect((await d.select('dialog', {}, { orderBy: 'dlg_id' })).map((r) => r.dlg_id)).toEqual([1, 2, 7]);
  });
});
