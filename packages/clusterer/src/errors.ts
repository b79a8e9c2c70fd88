/** Coded errors of clusterer: callers match on `code`, operators read a message naming the param or tag. */

export type ClustererErrorCode =
  /** A modparam is inconsistent (node_timeout not above ping_interval, a cluster URL form…). */
  | 'E_CLUSTERER_PARAM'
  /** Redis could not be reached at start, or refused our credentials. */
  | 'E_CLUSTERER_CONNECT'
  /** A capability registered twice for the same cluster. */
  | 'E_CLUSTERER_CAPABILITY'
  /** An MI or API call named a tag that is malformed. */
  | 'E_CLUSTERER_SHTAG'
  /** Redis did not answer an operation that needs it now (a forced set_active). */
  | 'E_CLUSTERER_UNAVAILABLE';

export class ClustererError extends Error {
  constructor(
    readonly code: ClustererErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClustererError';
  }
}

export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const errors = {
  param: (name: string, problem: string) => new ClustererError('E_CLUSTERER_PARAM', `clusterer: modparam "${name}" ${problem}`),
  connect: (url: string, cause: unknown) => new ClustererError('E_CLUSTERER_CONNECT', `clusterer: cannot reach Redis at "${url}": ${reason(cause)}`, { cause }),
  capability: (name: string, cluster: number) =>
    new ClustererError('E_CLUSTERER_CAPABILITY', `clusterer: capability "${name}" is already registered for cluster ${cluster}`),
  shtag: (value: string) => new ClustererError('E_CLUSTERER_SHTAG', `clusterer: bad sharing tag "${value}", expected name/cluster_id (e.g. vip/1)`),
  unavailable: (what: string, cause: unknown) =>
    new ClustererError('E_CLUSTERER_UNAVAILABLE', `clusterer: ${what} failed, Redis is unavailable: ${reason(cause)}`, { cause }),
};
