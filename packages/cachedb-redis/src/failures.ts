/**
 * Which ioredis errors mean the connection went away (wait for the reconnect, then retry) rather than
 * Redis refusing the command, and whether the command may already have run.
 */

/** `unsent`: Redis never ran it. `lost`: it was sent and the reply was lost, it may have run. */
export type ConnectionLoss = 'unsent' | 'lost';

const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED']);

export function connectionLoss(err: unknown): ConnectionLoss | undefined {
  if (!(err instanceof Error)) return undefined;
  const msg = err.message;
  // Offline queue disabled: refused locally before anything was written.
  if (msg.startsWith("Stream isn't writeable")) return 'unsent';
  // The cluster is resharding or failing over, or the server is loading: the command was rejected.
  if (msg.startsWith('CLUSTERDOWN') || msg.startsWith('TRYAGAIN') || msg.startsWith('LOADING')) return 'unsent';
  if (msg === 'Connection is closed.') return 'lost';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && LOST_CODES.has(code)) return 'lost';
  return undefined;
}

/** Wrong or missing credentials: reconnecting cannot help. */
export function isAuthError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  return m.startsWith('WRONGPASS') || m.startsWith('NOAUTH') || m.startsWith('NOPERM') || m.includes('invalid password');
}
