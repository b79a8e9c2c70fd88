/** db_mysql modparams, by their OpenSIPS names where OpenSIPS has one. */
import { z } from '@core/sip';

export const dbMysqlParams = {
  /** Connections per db_url pool. */
  pool_size: z.number().int().min(1).max(1000).default(10),
  /** OpenSIPS `max_db_queries`: attempts for a read when the connection fails. */
  max_db_queries: z.number().int().min(1).max(100).default(2),
  /** OpenSIPS `timeout_interval` (seconds): connect timeout, and how long a read waits for a reconnect. */
  timeout_interval: z.number().min(0.1).max(300).default(2),
  /** OpenSIPS `exec_query_threshold` (µs): statements slower than this are logged; 0 disables. */
  exec_query_threshold: z.number().int().min(0).default(0),
  /** First delay between reconnect attempts (ms), doubling up to `reconnect_backoff_max_ms`. */
  reconnect_backoff_ms: z.number().int().min(1).max(60_000).default(100),
  reconnect_backoff_max_ms: z.number().int().min(1).max(600_000).default(5_000),
  /** How long (ms) a write keeps waiting through an outage before it fails; queued writes are kept that long. */
  write_retry_timeout: z.number().int().min(0).default(60_000),
};

export type DbMysqlParams = z.output<z.ZodObject<typeof dbMysqlParams>>;
