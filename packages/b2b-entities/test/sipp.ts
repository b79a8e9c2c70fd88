/**
 * A SIPp runner for these tests (free -p/-cp ports, bound run time, final counters from -trace_stat).
 * testkit's startSipp (branch wip/testkit) does the same: switch to it once merged.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tsips/testkit';

export interface SippOutcome {
  code: number | null;
  ok: number;
  failed: number;
  out: string;
}

export async function runSipp(args: readonly string[], timeoutS = 30): Promise<SippOutcome> {
  const cwd = await mkdtemp(join(tmpdir(), 'tsips-b2b-sipp-'));
  const own = args.includes('-p') ? [] : ['-p', String(await freePort())];
  const full = [
    '-nostdin',
    '-i',
    '127.0.0.1',
    ...own,
    '-cp',
    String(await freePort()),
    '-timeout',
    `${timeoutS}s`,
    '-trace_stat',
    '-fd',
    '1',
    '-stf',
    'stat.csv',
    '-trace_err',
    '-error_file',
    'err.log',
    ...args,
  ];
  let out = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('/usr/bin/sipp', full, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 10) * 1000);
    child.once('error', reject);
    child.once('close', (c) => {
      clearTimeout(killer);
      resolve(c);
    });
  });
  let ok = -1;
  let failed = -1;
  try {
    const lines = (await readFile(join(cwd, 'stat.csv'), 'utf8')).trim().split('\n');
    const head = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    ok = Number(last[head.indexOf('SuccessfulCall(C)')]);
    failed = Number(last[head.indexOf('FailedCall(C)')]);
  } catch {
    // no stats: the counters stay -1 and `out` says why
  }
  const errors = await readFile(join(cwd, 'err.log'), 'utf8').catch(() => '');
  await rm(cwd, { recursive: true, force: true });
  out = `${errors.slice(0, 3000)}\n${out}`;
  return { code, ok, failed, out: out.slice(-3000) };
}
