/**
 * Issue 12 item 6: the dialogs a db_mode 2/3 shutdown writes are not capped by the loader's fixed 10 s
 * stop timeout any more: the flush is bulk (REPLACE of 1,000 rows a statement), retries through a DB
 * outage, and its budget is the `db_shutdown_timeout` param. Real processes, real sipp calls, real MariaDB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlDriver } from '@mod/db-mysql';
import { freePort, spawnTsLines, startMariaDb, type LineProcess, type MariaDbServer } from '@tsips/testkit';
import type { Db } from '@core/sip';
import { miOverLines } from './mi-lines.js';

const NODE = fileURLToPath(new URL('./fixtures/persist-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SIPP = fileURLToPath(new URL('./sipp/', import.meta.url));

let maria: MariaDbServer;
let db: Db;
const procs: LineProcess[] = [];
beforeAll(async () => {
  maria = await startMariaDb();
  db = await new MysqlDriver().open(maria.url);
});
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await db?.close();
  await maria?.stop();
});

function startProxy(port: number, mode: 2 | 3, calleePort: number, shutdownTimeout = 60): LineProcess {
  const p = spawnTsLines(NODE, [String(port), maria.url, String(mode), String(shutdownTimeout), String(calleePort)], ROOT, 'proxy');
  procs.push(p);
  return p;
}

/** Runs sipp to completion; resolves with its exit code. */
function sipp(args: string[], cwd: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/sipp', ['-nostdin', '-timeout', '240s', ...args], { cwd, stdio: 'ignore' });
    child.on('exit', (c) => resolve(c));
  });
}

/**
 * `calls` calls set up through the proxy (INVITE, 200, ACK) and left up: each a confirmed dialog there.
 * sipp's exit code is not asserted: on a loaded machine a datagram may be dropped and sipp then fails a
 * call it already set up; what counts is the proxy's count of confirmed dialogs, checked by the caller.
 */
async function holdCalls(proxyPort: number, uasPort: number, calls: number, rate: number): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'tsips-dlg-flush-'));
  const [uasCp, uacCp, uacPort] = [await freePort(), await freePort(), await freePort()];
  const uas = sipp(['-sf', join(SIPP, 'uas-hold.xml'), '-i', '127.0.0.1', '-p', String(uasPort), '-cp', String(uasCp), '-m', String(calls)], cwd);
  const uac = sipp(
    [
      '-sf',
      join(SIPP, 'uac-hold.xml'),
      '-i',
      '127.0.0.1',
      '-p',
      String(uacPort),
      '-cp',
      String(uacCp),
      '-m',
      String(calls),
      '-r',
      String(rate),
      '-s',
      'bob',
      `127.0.0.1:${proxyPort}`,
    ],
    cwd,
  );
  expect([0, 1]).toContain(await uac); // 1: some call failed (see above); anything else is a sipp error
  expect([0, 1]).toContain(await uas);
}

const active = async (p: LineProcess): Promise<number> =>
  ((await miOverLines(p, 'get_statistics', { statistics: ['dialog:active_dialogs'] })) as Record<string, number>)['dialog:active_dialogs'] ?? -1;

async function sigterm(p: LineProcess, timeoutMs: number): Promise<number> {
  p.child.kill('SIGTERM');
  const line = await p.wait(/^STOPPED /, timeoutMs);
  await p.exited();
  return Number(line.slice(8));
}

describe('dialogs written at shutdown', () => {
  it('20,000 dialogs (db_mode 3) survive SIGTERM and a restart', async () => {
    const calls = 20_000;
    const port = await freePort();
    const uasPort = await freePort();
    const a = startProxy(port, 3, uasPort);
    await a.wait(/^READY$/);
    // A few more calls than needed, so that a call sipp lost on a loaded machine does not matter.
    await holdCalls(port, uasPort, calls + 200, 700);
    // Settled: the count no longer moves (retransmissions done).
    let held = 0;
    await expect
      .poll(
        async () => {
          const before = held;
          held = await active(a);
          return held >= calls && held === before;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
    const stopMs = await sigterm(a, 60_000);
    expect((await db.select('dialog', undefined, { columns: ['dlg_id'] })).length).toBe(held);
    console.info(`db_mode 3 shutdown wrote ${held} dialogs in ${stopMs} ms`);

    const b = startProxy(port, 3, uasPort);
    await b.wait(/^READY$/, 60_000);
    expect(await active(b)).toBe(held);
    // db_mode 3: the table was emptied after loading (memory is the truth) and is written again on stop.
    expect((await db.select('dialog', undefined, { columns: ['dlg_id'] })).length).toBe(0);
    await sigterm(b, 60_000);
    expect((await db.select('dialog', undefined, { columns: ['dlg_id'] })).length).toBe(held);
    await db.delete('dialog', {});
  }, 300_000);

  it('a db_mode 2 shutdown during a DB outage longer than the old 10 s cap still writes every dialog', async () => {
    const calls = 300;
    const port = await freePort();
    const uasPort = await freePort();
    const a = startProxy(port, 2, uasPort, 60);
    await a.wait(/^READY$/);
    await holdCalls(port, uasPort, calls + 10, 200);
    let held = 0;
    await expect
      .poll(
        async () => {
          const before = held;
          held = await active(a);
          return held >= calls && held === before;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    // db_update_period is an hour: all of them are still pending when the DB goes away.
    expect((await db.select('dialog')).length).toBe(0);
    await maria.down();
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 11_000));
    expect(a.lines.some((l) => l.startsWith('STOPPED'))).toBe(false); // still retrying, within its budget
    await maria.up();
    await a.wait(/^STOPPED /, 60_000);
    expect(Date.now() - t0).toBeGreaterThan(11_000);
    const fresh = await new MysqlDriver().open(maria.url);
    try {
      expect((await fresh.select('dialog', undefined, { columns: ['dlg_id'] })).length).toBe(held);
      await fresh.delete('dialog', {});
    } finally {
      await fresh.close();
    }
  }, 180_000);
});
