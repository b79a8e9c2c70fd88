/**
 * The real `tsips` binary's log lines: readable on a terminal (run under a pseudo-TTY with util-linux
 * `script`), JSON into a pipe, and `--log-format` / `TSIPS_LOG_FORMAT` force either.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '@tsips/testkit';
import { ROOT, tsipsArgs } from '../support/tsips.js';

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
// eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC, which is what this matches
const ANSI = /\u001b\[[0-9;]*m/g;

/** Starts tsips (on a pseudo-TTY when `tty`), waits for its started line, stops it with SIGTERM; returns what it printed. */
async function startAndStop(extra: readonly string[], opts: { tty: boolean; env?: Record<string, string> }): Promise<string[]> {
  const args = ['--listen', `udp:127.0.0.1:${await freePort()}`, '--mi-port', String(await freePort()), ...extra];
  const argv = [process.execPath, ...tsipsArgs(args)];
  // script -q: no "Script started" lines; -e: its exit code is the command's; /dev/null: no typescript file.
  const [cmd, cmdArgs]: [string, string[]] = opts.tty ? ['script', ['-qec', `exec ${argv.map(quote).join(' ')}`, '/dev/null']] : [argv[0]!, argv.slice(1)];
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (!opts.env?.['TSIPS_LOG_FORMAT']) delete env['TSIPS_LOG_FORMAT'];
  const proc = spawn(cmd, cmdArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tsips did not start within 15 s:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('tsips started')) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code} before starting:\n${out}`)));
  });
  // Under script, SIGTERM goes to tsips itself (script's only child, through `exec`), so it stops as it
  // would at a terminal and script exits quietly after it.
  const target = opts.tty ? Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(' ')[0]) : proc.pid;
  process.kill(target!, 'SIGTERM');
  expect(await exited).toBe(0);
  return out
    .replace(ANSI, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

const isJson = (l: string): boolean => {
  try {
    return typeof JSON.parse(l) === 'object';
  } catch {
    return false;
  }
};
const started = (lines: string[]): string => lines.find((l) => l.includes('tsips started')) ?? '';

describe('tsips log format', () => {
  it('prints readable lines on a terminal', { timeout: 30_000 }, async () => {
    const lines = await startAndStop([], { tty: true });
    expect(started(lines)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: tsips started \{"sockets":\["udp:127\.0\.0\.1:\d+"\],"mi":\d+,"ms":\d+\}$/);
    expect(lines.find((l) => l.includes('transport listening'))).toMatch(/INFO: transport: transport listening/);
    expect(lines.filter(isJson)).toEqual([]);
  });

  it('prints JSON lines into a pipe', { timeout: 30_000 }, async () => {
    const lines = await startAndStop([], { tty: false });
    expect(lines.every(isJson)).toBe(true);
    expect(JSON.parse(started(lines))).toMatchObject({ msg: 'tsips started', level: 30 });
  });

  it('--log-format json gives JSON on a terminal too', { timeout: 30_000 }, async () => {
    const lines = await startAndStop(['--log-format', 'json'], { tty: true });
    expect(lines.every(isJson)).toBe(true);
    expect(JSON.parse(started(lines))).toMatchObject({ msg: 'tsips started' });
  });

  it('TSIPS_LOG_FORMAT=pretty gives readable lines into a pipe', { timeout: 30_000 }, async () => {
    const lines = await startAndStop([], { tty: false, env: { TSIPS_LOG_FORMAT: 'pretty' } });
    expect(started(lines)).toMatch(/^\[[\d:.]+\] INFO: tsips started \{/);
    expect(lines.filter(isJson)).toEqual([]);
  });
});
