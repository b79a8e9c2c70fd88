/**
 * Coded errors of db_mysql. Callers match on `code`; operators read `message`, which always names the
 * URL with its password masked, the table, and the server's own words when it gave a reason.
 */

// A malformed db_url is the core's E_DB_URL (TsipsError), raised by the shared URL grammar.
export type MysqlErrorCode =
  /** The first connection at open failed: wrong credentials, unknown database, server unreachable. */
  | 'E_DB_CONNECT'
  /** The server stayed unreachable longer than the retry budget of the operation. */
  | 'E_DB_UNAVAILABLE'
  /** The server refused a statement (syntax, constraint, unknown column…). */
  | 'E_DB_QUERY'
  /** A table or column name that is not a plain SQL identifier. */
  | 'E_DB_IDENTIFIER'
  /** The `version` table records another version than the module's schema. */
  | 'E_DB_TABLE_VERSION'
  /** The handle was closed. */
  | 'E_DB_CLOSED';

export class MysqlError extends Error {
  constructor(
    readonly code: MysqlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MysqlError';
  }
}

/** The server's reason for a failure, with its error code name (`ER_ACCESS_DENIED_ERROR`) when known. */
export function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const msg = aggregateMessage(err);
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** Node's AggregateError (connect to several addresses) has an empty message: use its first cause. */
function aggregateMessage(err: Error): string {
  if (err.message) return err.message;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner[0] instanceof Error) return inner[0].message;
  return 'connection failed';
}

export const errors = {
  connect: (maskedUrl: string, cause: unknown) => new MysqlError('E_DB_CONNECT', `cannot open db_url "${maskedUrl}": ${reason(cause)}`, { cause }),

  unavailable: (maskedUrl: string, op: string, table: string, waitedMs: number, cause: unknown) =>
    new MysqlError('E_DB_UNAVAILABLE', `${op} on table "${table}" gave up after ${waitedMs} ms: server of "${maskedUrl}" unreachable (${reason(cause)})`, { cause }),

  query: (op: string, table: string, cause: unknown) => new MysqlError('E_DB_QUERY', `${op} on table "${table}" failed: ${reason(cause)}`, { cause }),

  identifier: (what: 'table' | 'column' | 'index', name: string) =>
    new MysqlError('E_DB_IDENTIFIER', `invalid ${what} name ${JSON.stringify(name)}: use letters, digits, "_" and "$" only`),

  tableVersion: (table: string, found: number, expected: number) =>
    new MysqlError(
      'E_DB_TABLE_VERSION',
      `table "${table}" has version ${found} in table "version", this module needs version ${expected}: migrate or recreate the table`,
    ),

  closed: (maskedUrl: string) => new MysqlError('E_DB_CLOSED', `db handle for "${maskedUrl}" is closed`),
};
