import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '@tsips/testkit';
import { MemoryCacheDb } from '../../src/storage/memory-cachedb.js';

const open: MemoryCacheDb[] = [];
function cache(opts?: ConstructorParameters<typeof MemoryCacheDb>[0]): MemoryCacheDb {
  const c = new MemoryCacheDb(opts);
  open.push(c);
  return c;
}
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

describe('MemoryCacheDb', () => {
  it('sets, gets and removes', async () => {
    const c = cache();
    expect(await c.get('k')).toBeNull();
    await c.set('k', 'v1');
    await c.set('k', 'v2');
    expect(await c.get('k')).toBe('v2');
    await c.remove('k');
    expect(await c.get('k')).toBeNull();
    await c.remove('never-there');
  });

  it('expires keys on time (real clock), hidden on read before any sweep', async () => {
    const c = cache({ sweepIntervalMs: 60_000 });
    await c.set('short', 'x', 0.05);
    await c.set('forever', 'y');
    await c.set('zero', 'z', 0);
    expect(await c.get('short')).toBe('x');
    await sleep(80);
    expect(await c.get('short')).toBeNull();
    expect(await c.get('forever')).toBe('y');
    expect(await c.get('zero')).toBe('z');
  });

  it('frees expired keys in the periodic sweep', async () => {
    const c = cache({ sweepIntervalMs: 20 });
    await c.set('a', '1', 0.03);
    await c.set('b', '2');
    expect(c.size).toBe(2);
    await sleep(120);
    expect(c.size).toBe(1);
  });

  it('adds and subtracts atomically, creating counters at 0', async () => {
    const c = cache();
    expect(await c.getCounter('cnt')).toBeNull();
    expect(await c.add('cnt', 5)).toBe(5);
    expect(await c.sub('cnt', 2)).toBe(3);
    expect(await c.get('cnt')).toBe('3');
    expect(await c.getCounter('cnt')).toBe(3);
    // Many concurrent increments, none lost.
    const results = await Promise.all(Array.from({ length: 200 }, () => c.add('hits', 1)));
    expect(await c.getCounter('hits')).toBe(200);
    expect(new Set(results).size).toBe(200);
    await c.set('text', 'abc');
    await expect(c.add('text', 1)).rejects.toMatchObject({ code: 'E_STORAGE' });
    await expect(c.add('cnt', 0.5)).rejects.toMatchObject({ code: 'E_STORAGE' });
  });

  it('gives counters an expiry when asked, and keeps it otherwise', async () => {
    const c = cache();
    await c.add('pike', 1, 0.05);
    await c.add('pike', 1);
    expect(await c.getCounter('pike')).toBe(2);
    await sleep(80);
    expect(await c.getCounter('pike')).toBeNull();
    expect(await c.add('pike', 1)).toBe(1);
  });

  it('lists keys by prefix, without expired ones', async () => {
    const c = cache();
    await c.set('usr:alice', '1');
    await c.set('usr:bob', '2');
    await c.set('usr:old', '3', 0.02);
    await c.set('dlg:1', 'x');
    await sleep(40);
    expect(await c.getByPrefix('usr:')).toEqual(
      new Map([
        ['usr:alice', '1'],
        ['usr:bob', '2'],
      ]),
    );
    expect((await c.getByPrefix('')).size).toBe(3);
  });

  it('refuses use after close', async () => {
    const c = cache();
    await c.close();
    await expect(c.get('k')).rejects.toMatchObject({ code: 'E_STORAGE' });
  });
});
