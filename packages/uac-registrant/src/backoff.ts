/**
 * Retry delay after consecutive failures: failure_retry_interval doubled per failure, capped at
 * failure_retry_max_interval, with ±25 % jitter so a registrar that comes back is not hit by every
 * registrant in the same second (OpenSIPS users' reports #333, PR #3270). Reset by a success.
 */
export function retryDelayMs(failures: number, baseSec: number, capSec: number, random: () => number = Math.random): number {
  const exp = Math.min(baseSec * 2 ** Math.max(0, failures - 1), capSec);
  const jittered = exp * (0.75 + 0.5 * random());
  return Math.round(Math.min(jittered, capSec) * 1000);
}
