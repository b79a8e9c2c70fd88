/**
 * Coded errors of cachedb_redis. Callers match on `code`; messages name the URL with its password
 * masked, the operation and key, and Redis's own reason.
 */

// A malformed cachedb_url is the core's E_DB_URL (TsipsError), raised by the shared URL grammar.
export type RedisErrorCode =
  /** The first connection failed (wrong credentials always; unreachable when shutdown_on_error is set). */
  | 'E_CACHEDB_CONNECT'
  /** Redis stayed unreachable for the operation's whole query_timeout, or the reply never came. */
  | 'E_CACHEDB_UNAVAILABLE'
  /** Redis refused the command (wrong type, not a counter, unknown command…). */
  | 'E_CACHEDB_QUERY'
  /** The handle was closed. */
  | 'E_CACHEDB_CLOSED';

export class RedisError extends Error {
  constructor(
    readonly code: RedisErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisError';
  }
}

export function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

export const errors = {
  connect: (maskedUrl: string, cause: unknown) => new RedisError('E_CACHEDB_CONNECT', `cannot open cachedb_url "${maskedUrl}": ${reason(cause)}`, { cause }),

  unavailable: (maskedUrl: string, what: string, waitedMs: number, cause: unknown) =>
    new RedisError(
      'E_CACHEDB_UNAVAILABLE',
      `${what} gave up after ${waitedMs} ms: redis of "${maskedUrl}" unreachable${cause === undefined ? '' : ` (${reason(cause)})`}`,
      { cause },
    ),

  /** A counter command whose connection died after it was sent: it may or may not have counted. */
  uncertain: (maskedUrl: string, what: string, cause: unknown) =>
    new RedisError('E_CACHEDB_UNAVAILABLE', `${what}: connection to "${maskedUrl}" lost after sending, the change may or may not be applied (${reason(cause)})`, {
      cause,
    }),

  query: (what: string, cause: unknown) => new RedisError('E_CACHEDB_QUERY', `${what} failed: ${reason(cause)}`, { cause }),

  closed: (maskedUrl: string) => new RedisError('E_CACHEDB_CLOSED', `cachedb handle for "${maskedUrl}" is closed`),
};
