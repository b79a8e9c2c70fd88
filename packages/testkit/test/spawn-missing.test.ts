/** A binary a test needs but cannot run fails at once, naming the binary and the Debian package to install. */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MissingBinaryError, exited, spawnError, spawnServer, startMariaDb, startRedis, startSipp } from '../src/index.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['PATH', 'TSIPS_REDIS_SERVER', 'TSIPS_MARIADBD', 'TSIPS_MARIADB_INSTALL_DB']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** Milliseconds `p` took to reject, and its error. */
async function rejection(p: Promise<unknown>): Promise<{ err: Error; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return { err, ms: Date.now() - t0 };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('missing binaries', () => {
  it('spawnServer throws at once for a binary not in PATH', () => {
    expect(() => spawnServer('tsips-no-such-binary', [])).toThrowErrorMatchingInlineSnapshot(
      `[MissingBinaryError: E_TESTKIT_BINARY_MISSING: cannot run "tsips-no-such-binary" (not found in PATH); install it or fix PATH]`,
    );
  });

  it('redis-server missing: startRedis rejects within 2 s naming redis-server and its package', async () => {
    process.env['TSIPS_REDIS_SERVER'] = '/nonexistent/redis-server';
    const { err, ms } = await rejection(startRedis());
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect(err.message).toBe(
      'E_TESTKIT_BINARY_MISSING: cannot run "/nonexistent/redis-server" (no executable at that path); install the Debian package "redis-server" (apt-get install redis-server)',
    );
    expect(ms).toBeLessThan(2000);
  });

  it('mariadb missing: startMariaDb rejects within 2 s naming the binary and mariadb-server', async () => {
    process.env['TSIPS_MARIADB_INSTALL_DB'] = '/nonexistent/mariadb-install-db';
    const { err, ms } = await rejection(startMariaDb());
    expect(err.message).toMatch(/cannot run "\/nonexistent\/mariadb-install-db".*"mariadb-server"/);
    expect(ms).toBeLessThan(2000);
  });

  it('sipp missing: startSipp rejects within 2 s naming sipp and sip-tester', async () => {
    process.env['PATH'] = await mkdtemp(join(tmpdir(), 'tsips-empty-path-'));
    const { err, ms } = await rejection(startSipp(['-sn', 'uac', '127.0.0.1:9']));
    expect(err.message).toBe('E_TESTKIT_BINARY_MISSING: cannot run "sipp" (not found in PATH); install the Debian package "sip-tester" (apt-get install sip-tester)');
    expect(ms).toBeLessThan(2000);
  });

  it('a binary found but failing to spawn (its interpreter is missing) fails at once through the error event, not a timeout', async () => {
    // An executable script whose #! interpreter does not exist: exec fails with ENOENT after the PATH check passed.
    const dir = await mkdtemp(join(tmpdir(), 'tsips-bad-bin-'));
    const bin = join(dir, 'redis-server');
    await writeFile(bin, '#!/nonexistent/interpreter\n');
    await chmod(bin, 0o755);
    const child = spawnServer(bin, []);
    await exited(child);
    expect(spawnError(child)?.message).toBe(
      `E_TESTKIT_BINARY_MISSING: cannot run "${bin}" (spawn failed: ENOENT); install the Debian package "redis-server" (apt-get install redis-server)`,
    );

    process.env['TSIPS_REDIS_SERVER'] = bin;
    const { err, ms } = await rejection(startRedis());
    expect(err.message).toContain(`cannot run "${bin}" (spawn failed: ENOENT)`);
    expect(ms).toBeLessThan(2000);
  });
});
