import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../src/index.js';

function failure(url: string): string {
  try {
    parseRedisUrl(url);
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('cachedb_url parsing', () => {
  it('reads the single-server forms OpenSIPS uses', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({
      nodes: [{ host: '127.0.0.1', port: 6380 }],
      cluster: false,
      username: undefined,
      password: undefined,
      db: 2,
      tls: false,
      group: undefined,
      masked: 'redis://127.0.0.1:6380/2',
    });
    const acl = parseRedisUrl('redis://opensips:s3cr%40t@redis.local/');
    expect([acl.username, acl.password, acl.nodes, acl.db, acl.masked]).toEqual([
      'opensips',
      's3cr@t',
      [{ host: 'redis.local', port: 6379 }],
      0,
      'redis://opensips:***@redis.local/',
    ]);
    const pwOnly = parseRedisUrl('redis://:secret@10.0.0.1:6379/0');
    expect([pwOnly.username, pwOnly.password]).toEqual([undefined, 'secret']);
    const grouped = parseRedisUrl('redis:profiles://10.0.0.1:6379/1');
    expect([grouped.group, grouped.db]).toEqual(['profiles', 1]);
    expect(parseRedisUrl('rediss://[::1]:6390').tls).toBe(true);
    expect(parseRedisUrl('rediss://[::1]:6390').nodes).toEqual([{ host: '::1', port: 6390 }]);
  });

  it('reads a comma-separated seed list as a Redis Cluster', () => {
    const u = parseRedisUrl('redis://:pw@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3/');
    expect(u.cluster).toBe(true);
    expect(u.nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '10.0.0.3', port: 6379 },
    ]);
    expect(u.masked).toBe('redis://:***@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3/');
  });

  it('refuses malformed URLs naming the problem', () => {
    expect(failure('memcached://127.0.0.1:11211/')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "memcached://127.0.0.1:11211/": scheme "memcached" is not served by cachedb_redis (use redis:// or rediss://)"`,
    );
    expect(failure('redis://u:pw@127.0.0.1:70000/0')).toMatchInlineSnapshot(`"E_DB_URL: malformed storage URL "redis://u:***@127.0.0.1:70000/0": bad port "70000""`);
    expect(failure('redis://127.0.0.1:6379/db1')).toMatchInlineSnapshot(`"E_DB_URL: malformed storage URL "redis://127.0.0.1:6379/db1": database "db1" is not a number"`);
    expect(failure('redis://h1:7000,h2:7000/3')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "redis://h1:7000,h2:7000/3": Redis Cluster has database 0 only, got /3"`,
    );
    expect(failure('redis://127.0.0.1:6379/0?timeout=3')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "redis://127.0.0.1:6379/0?timeout=3": URL parameter "timeout" is not supported by cachedb_redis (set the cachedb_redis modparams instead)"`,
    );
    expect(failure('127.0.0.1:6379')).toMatchInlineSnapshot(`"E_DB_URL: malformed storage URL "127.0.0.1:6379": expected scheme://…"`);
  });
});
