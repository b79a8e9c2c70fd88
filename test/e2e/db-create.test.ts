/** `tsips db create <db_url>` against a real MariaDB: the modules' tables and the version table, idempotent. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '@tsips/testkit';
import { runTsips } from '../support/tsips.js';

let db: MariaDbServer;
beforeAll(async () => {
  db = await startMariaDb('tsips_create');
});
afterAll(() => db?.stop());

it("creates the default modules' tables with OpenSIPS names, then finds them on a second run", async () => {
  const first = await runTsips(['db', 'create', db.userUrl], 60_000);
  expect(first.code, first.stderr).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual({ created: ['dialog'], existing: [] });
  const conn = await createConnection(db.userUrl);
  try {
    const [cols] = await conn.query<RowDataPacket[]>('SHOW COLUMNS FROM dialog');
    const names = cols.map((c) => c.Field as string);
    for (const c of [
      'dlg_id',
      'callid',
      'from_uri',
      'from_tag',
      'to_uri',
      'to_tag',
      'caller_cseq',
      'callee_cseq',
      'state',
      'start_time',
      'timeout',
      'vars',
      'profiles',
    ]) {
      expect(names).toContain(c);
    }
    const [versions] = await conn.query<RowDataPacket[]>("SELECT table_version FROM version WHERE table_name = 'dialog'");
    expect(versions).toHaveLength(1);
  } finally {
    await conn.end();
  }
  const again = await runTsips(['db', 'create', db.userUrl], 60_000);
  expect(JSON.parse(again.stdout)).toEqual({ created: [], existing: ['dialog'] });
});

it('refuses a URL it has no schema tool for', async () => {
  const r = await runTsips(['db', 'create', 'postgres://u:secret@127.0.0.1/x']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no schema tool for "postgres"');
  expect(r.stderr).not.toContain('secret');
});
