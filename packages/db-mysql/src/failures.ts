/**
 * Which mysql2 errors mean "the server or the connection went away" (retry after reconnecting) rather
 * than "the statement is wrong" (report at once), and whether the statement may have run before.
 */

/** `refused`: nothing reached the server. `lost`: the statement may have been applied before the loss. */
export type ConnectionFailure = 'refused' | 'lost';

const REFUSED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETIMEDOUT', // connect timeout
  'ER_CON_COUNT_ERROR', // too many connections: transient
]);

const LOST = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'PROTOCOL_SEQUENCE_TIMEOUT']);

export function connectionFailure(err: unknown): ConnectionFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as { code?: unknown; fatal?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (REFUSED.has(code)) return 'refused';
  if (LOST.has(code)) return 'lost';
  // A pooled connection the server closed while idle: mysql2 refuses before sending anything.
  if (err.message.includes('closed state')) return 'refused';
  if (e.fatal === true) return 'lost';
  return undefined;
}

/** Credentials or database wrong: reconnecting cannot help. */
export function isAuthFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_BAD_DB_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR';
}
