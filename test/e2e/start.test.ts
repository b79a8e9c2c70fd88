/**
 * A newcomer's first commands: `pnpm install` can link every workspace bin in a fresh clone (no "Failed
 * to create bin" warning), and `pnpm start` prints no banner, notice or warning before the server's
 * own log lines. How fast a fresh clone starts is measured by bench/start-time.mjs, not here.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@tsips/testkit';
import { ROOT } from '../support/tsips.js';

const isJson = (l: string): boolean => {
  try {
    return typeof JSON.parse(l) === 'object';
  } catch {
    return false;
  }
};

describe('newcomer commands', () => {
  it('every workspace bin points at a committed file, so pnpm install links it before any build', () => {
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n'));
    const bins: string[] = [];
    for (const base of ['apps', 'packages', 'test']) {
      const dirs = base === 'test' ? [''] : readdirSync(join(ROOT, base));
      for (const d of dirs) {
        const pj = join(ROOT, base, d, 'package.json');
        if (!existsSync(pj)) continue;
        const bin = (JSON.parse(readFileSync(pj, 'utf8')) as { bin?: string | Record<string, string> }).bin ?? {};
        for (const file of typeof bin === 'string' ? [bin] : Object.values(bin)) bins.push(join(base, d, file).replaceAll('\\', '/'));
      }
    }
    expect(bins).toContain('apps/server/bin/tsips.js');
    expect(bins.filter((b) => !tracked.has(b))).toEqual([]);
  });

  it('pnpm start prints only pnpm\'s own "> command" lines before the server\'s JSON log lines', { timeout: 60_000 }, async () => {
    const args = ['start', '--listen', `udp:127.0.0.1:${await freePort()}`, '--mi-port', String(await freePort())];
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['TSIPS_LOG_FORMAT'];
    // Own process group, so the stop reaches pnpm, its shell and the server together.
    const proc = spawn('pnpm', args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<void>((res) => proc.once('exit', () => res()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`pnpm start did not start within 45 s:\n${out}`)), 45_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (out.includes('"msg":"tsips started"')) {
            clearTimeout(t);
            resolve();
          }
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', onData);
        void exited.then(() => reject(new Error(`pnpm start exited before starting:\n${out}`)));
      });
    } finally {
      process.kill(-proc.pid!, 'SIGTERM');
      await exited;
    }
    const upToStarted = out.slice(0, out.indexOf('"msg":"tsips started"')).split('\n').slice(0, -1);
    const others = upToStarted.filter((l) => l.trim() !== '' && !l.startsWith('> ') && !isJson(l));
    expect(others).toEqual([]);
    expect(out).not.toMatch(/WARN|turbo|telemetry/i);
  });
});
