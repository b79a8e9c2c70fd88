/** SIGKILL mid-call with db_mode 1 on MariaDB: the restarted server still routes and ends the call. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlDriver } from '@mod/db-mysql';
import { freePort, startMariaDb, type MariaDbServer } from '@tsips/testkit';
import type { Db } from '@core/sip';
import { Ua, methodOf, statusOf } from './sip-ua.js';

const main = fileURLToPath(new URL('./fixtures/proxy-main.ts', import.meta.url));
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

function startChild(port: number, calleePort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, String(port), maria.url, String(calleePort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('proxy child did not start')), 15000);
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`proxy child exited with ${code}`)));
    // A spawn that fails emits 'error' and maybe no 'exit': fail now, not after the 15 s.
    child.once('error', (err) => reject(new Error(`cannot run ${process.execPath} for the proxy child: ${err.message}`, { cause: err })));
  });
}

describe('crash and restart', () => {
  it('a call survives SIGKILL of the proxy: the new process loads it and routes the BYE', async () => {
    const port = await freePort();
    const caller = await Ua.open(port, 'alice');
    const callee = await Ua.open(port, 'bob');
    const a = await startChild(port, callee.port);
    await caller.invite('sip:bob@127.0.0.1');
    const inv = (await callee.nextNon100(5000)).text;
    callee.learnFromInvite(inv);
    await callee.reply(inv, 200, 'OK');
    const ok = await caller.nextNon100(5000);
    expect(statusOf(ok.text)).toBe(200);
    caller.learnFromAnswer(ok.text);
    await caller.sendInDialog('ACK');
    expect(methodOf((await callee.next()).text)).toBe('ACK');
    await expect.poll(async () => (await db.select('dialog')).length, { timeout: 5000 }).toBe(1);
    a.kill('SIGKILL');
    await new Promise((r) => a.once('exit', r));
    const b = await startChild(port, callee.port);
    try {
      await callee.sendInDialog('BYE');
      const bye = (await caller.nextNon100(5000)).text;
      expect(methodOf(bye)).toBe('BYE');
      await caller.reply(bye, 200, 'OK');
      expect(statusOf((await callee.nextNon100(5000)).text)).toBe(200);
      // The loaded dialog was matched and ended: its row is gone.
      await expect.poll(async () => (await db.select('dialog')).length, { timeout: 5000 }).toBe(0);
    } finally {
      b.kill('SIGTERM');
      caller.close();
      callee.close();
    }
  }, 60_000);
});
