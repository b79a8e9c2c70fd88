import { describe, expect, it } from 'vitest';
import { parseMysqlUrl } from '../src/index.js';

describe('db_url parsing', () => {
  it('reads OpenSIPS db_url forms', () => {
    expect(parseMysqlUrl('mysql://opensips:opensipsrw@10.0.0.5:3307/opensips')).toEqual({
      host: '10.0.0.5',
      port: 3307,
      user: 'opensips',
      password: 'opensipsrw',
      database: 'opensips',
      masked: 'mysql://opensips:***@10.0.0.5:3307/opensips',
    });
    const noPort = parseMysqlUrl('mysql://root@localhost/opensips');
    expect([noPort.host, noPort.port, noPort.user, noPort.password]).toEqual(['localhost', 3306, 'root', undefined]);
    const v6 = parseMysqlUrl('mysql://u:p@[::1]:3306/db');
    expect([v6.host, v6.port]).toEqual(['::1', 3306]);
  });

  it('takes the last @ before the path as the end of the credentials and decodes %-escapes', () => {
    const u = parseMysqlUrl('mysql://user:p@ss:w%2Frd%21@127.0.0.1:3306/db');
    expect([u.user, u.password, u.host]).toEqual(['user', 'p@ss:w/rd!', '127.0.0.1']);
    expect(u.masked).toBe('mysql://user:***@127.0.0.1:3306/db');
  });

  it('refuses malformed URLs with a message naming the problem', () => {
    const msg = (url: string): string => {
      try {
        parseMysqlUrl(url);
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
      return 'no error';
    };
    expect(msg('mysql://u:secret@host:3306')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "mysql://u:***@host:3306": no database name (expected …@host:port/database)"`,
    );
    expect(msg('postgres://u:secret@host/db')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "postgres://u:***@host/db": scheme "postgres" is not served by db_mysql (use mysql://)"`,
    );
    expect(msg('mysql://u:secret@host:99999/db')).toMatchInlineSnapshot(`"E_DB_URL: malformed storage URL "mysql://u:***@host:99999/db": bad port "99999""`);
    expect(msg('localhost/db')).toMatchInlineSnapshot(`"E_DB_URL: malformed storage URL "localhost/db": expected scheme://…"`);
    expect(msg('mysql://u@h1:3306,h2:3306/db')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "mysql://u@h1:3306,h2:3306/db": db_mysql connects to one host, got a list"`,
    );
    expect(msg('mysql://u@host/db?ssl=1')).toMatchInlineSnapshot(
      `"E_DB_URL: malformed storage URL "mysql://u@host/db?ssl=1": URL parameter "ssl" is not supported by db_mysql (set the db_mysql modparams instead)"`,
    );
  });
});
