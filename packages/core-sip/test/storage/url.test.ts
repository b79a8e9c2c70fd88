import { describe, expect, it } from 'vitest';
import { maskUrl, parseStorageUrl } from '../../src/storage/url.js';

describe('parseStorageUrl', () => {
  it('reads the mysql form', () => {
    expect(parseStorageUrl('mysql://opensips:opensipsrw@127.0.0.1:3306/opensips')).toEqual({
      scheme: 'mysql',
      user: 'opensips',
      password: 'opensipsrw',
      host: '127.0.0.1',
      port: 3306,
      hosts: [{ host: '127.0.0.1', port: 3306 }],
      database: 'opensips',
      params: {},
    });
  });

  it('reads redis forms: db index, credentials, and the named multi-host form', () => {
    expect(parseStorageUrl('redis://127.0.0.1:6379/0')).toMatchObject({ scheme: 'redis', host: '127.0.0.1', port: 6379, database: '0' });
    expect(parseStorageUrl('redis://user:pass@cache.example.com:6379/2')).toMatchObject({
      user: 'user',
      password: 'pass',
      host: 'cache.example.com',
      database: '2',
    });
    const cluster = parseStorageUrl('redis:cluster://10.0.0.1:7000,10.0.0.2:7001/');
    expect(cluster).toMatchObject({
      scheme: 'redis',
      group: 'cluster',
      host: '10.0.0.1',
      port: 7000,
      hosts: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    expect(cluster.database).toBeUndefined();
  });

  it('reads IPv6 hosts, percent-encoded and @-containing passwords, query params, hostless paths', () => {
    expect(parseStorageUrl('mysql://u:p@[::1]:3307/db')).toMatchObject({ host: '::1', port: 3307 });
    expect(parseStorageUrl('mysql://u:p%2Fw@rd@db1/opensips?timeout=5&ssl')).toMatchObject({
      user: 'u',
      password: 'p/w@rd',
      host: 'db1',
      database: 'opensips',
      params: { timeout: '5', ssl: '' },
    });
    expect(parseStorageUrl('sqlite:///var/lib/tsips.db')).toEqual({
      scheme: 'sqlite',
      hosts: [],
      database: 'var/lib/tsips.db',
      params: {},
    });
    expect(parseStorageUrl('MySQL://h/d').scheme).toBe('mysql');
  });

  it('refuses garbage with E_DB_URL, never showing the password', () => {
    const cases = ['', 'mysql', 'localhost:3306', '://host/db', 'my sql://h/d', 'mysql://u:secret@h:99999/db', 'mysql://u:secret@h:abc/db', 'mysql://u:secret@[::1/db'];
    for (const c of cases) {
      let err: (Error & { code?: string }) | undefined;
      try {
        parseStorageUrl(c);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code, c).toBe('E_DB_URL');
      expect(err?.message).not.toContain('secret');
    }
    expect(() => parseStorageUrl('mysql://u:secret@h:99999/db')).toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: malformed storage URL "mysql://u:***@h:99999/db": bad port "99999"]`,
    );
  });
});

describe('maskUrl', () => {
  it('replaces the password with ***', () => {
    expect(maskUrl('mysql://user:pass@host/db')).toBe('mysql://user:***@host/db');
    expect(maskUrl('redis://user:p@ss@host:6379/2')).toBe('redis://user:***@host:6379/2');
    expect(maskUrl('redis:grp://user:pw@h1:1,h2:2/')).toBe('redis:grp://user:***@h1:1,h2:2/');
  });

  it('leaves URLs without a password alone', () => {
    expect(maskUrl('redis://host:6379/0')).toBe('redis://host:6379/0');
    expect(maskUrl('mysql://user@host/db')).toBe('mysql://user@host/db');
    expect(maskUrl('not a url')).toBe('not a url');
  });
});
