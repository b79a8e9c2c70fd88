/**
 * `pnpm pack` of @core/sip gives a tarball that installs with npm into an empty project, with only its
 * declared dependencies, and works there: a SIP server answers a real OPTIONS over UDP.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/tsips.js';

const run = promisify(execFile);

const SMOKE = `
import { SipServer, parseMessage } from '@core/sip';
import { createSocket } from 'node:dgram';
const s = new SipServer({ listen: ['udp:127.0.0.1:0'], mi: false, log: { level: 'silent' },
  routes: { request: (ctx) => void ctx.sl_send_reply(200, 'Packed OK') } });
await s.start();
const port = s.sockets[0].port;
const sock = createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const me = sock.address().port;
const reply = new Promise((r) => sock.once('message', (d) => r(parseMessage(d))));
sock.send(Buffer.from(['OPTIONS sip:127.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:' + me + ';branch=z9hG4bKpack', 'Max-Forwards: 70',
  'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:b@127.0.0.1>', 'Call-ID: pack@test', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\\r\\n')), port, '127.0.0.1');
const m = await reply;
console.log(JSON.stringify({ status: m.status, reason: m.reason }));
sock.close();
await s.stop();
`;

describe('@core/sip package', () => {
  it('packs, installs alone with npm, and runs', { timeout: 180_000 }, async () => {
    const pkg = join(ROOT, 'packages/core-sip');
    // index.d.ts, not index.js: `pnpm start` writes the JS alone (esbuild), the declarations come from the tsc build.
    if (!existsSync(join(pkg, 'dist/index.d.ts'))) await run('pnpm', ['--filter', '@core/sip', 'run', 'build'], { cwd: ROOT });
    const dir = await mkdtemp(join(tmpdir(), 'tsips-pack-'));
    try {
      await run('pnpm', ['pack', '--pack-destination', dir], { cwd: pkg });
      const tgz = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
      expect(tgz).toBeDefined();
      const app = join(dir, 'app');
      await run('mkdir', ['-p', app]);
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
      await run('npm', ['install', '--no-audit', '--no-fund', join(dir, tgz!)], { cwd: app, timeout: 150_000 });
      const installed = JSON.parse(
        (await run('node', ['-e', 'process.stdout.write(require("fs").readFileSync("node_modules/@core/sip/package.json","utf8"))'], { cwd: app })).stdout,
      ) as { exports: Record<string, Record<string, string>>; files: string[] };
      // The published exports map has no `source` condition pointing at files that are not shipped.
      expect(Object.keys(installed.exports['.']!)).toEqual(['types', 'import']);
      expect(existsSync(join(app, 'node_modules/@core/sip/dist/index.d.ts'))).toBe(true);
      expect(existsSync(join(app, 'node_modules/@core/sip/src'))).toBe(false);
      await writeFile(join(app, 'smoke.mjs'), SMOKE);
      const out = await run('node', ['smoke.mjs'], { cwd: app, timeout: 20_000 });
      expect(JSON.parse(out.stdout.trim())).toEqual({ status: 200, reason: 'Packed OK' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
