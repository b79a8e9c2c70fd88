/**
 * db_url for db_mysql. The grammar is the core's (`parseStorageUrl`, shared by every storage URL);
 * this adds what MySQL needs: one host, a database name, and no URL parameters we would ignore.
 */
import { errors, maskUrl, parseStorageUrl } from '@core/sip';

/** The parts of an OpenSIPS `db_url`: `mysql://user:pass@host:port/db`. */
export interface MysqlUrl {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string;
  /** The URL with the password replaced by `***`, for logs and errors. */
  masked: string;
}

export const MYSQL_SCHEMES = ['mysql'] as const;
const DEFAULT_PORT = 3306;

export function parseMysqlUrl(url: string): MysqlUrl {
  const masked = maskUrl(url);
  const u = parseStorageUrl(url);
  if (u.scheme !== 'mysql') throw errors.dbUrl(masked, `scheme "${u.scheme}" is not served by db_mysql (use mysql://)`);
  const host = u.hosts[0];
  if (host === undefined) throw errors.dbUrl(masked, 'no host');
  if (u.hosts.length > 1) throw errors.dbUrl(masked, 'db_mysql connects to one host, got a list');
  if (u.database === undefined) throw errors.dbUrl(masked, 'no database name (expected …@host:port/database)');
  const param = Object.keys(u.params)[0];
  if (param !== undefined) {
    throw errors.dbUrl(masked, `URL parameter "${param}" is not supported by db_mysql (set the db_mysql modparams instead)`);
  }
  return {
    host: host.host,
    port: host.port ?? DEFAULT_PORT,
    user: u.user,
    password: u.password,
    database: u.database,
    masked,
  };
}
