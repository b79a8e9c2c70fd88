import type { DriverLog } from '@core/sip';

/** How a MysqlDb connects and rides out outages; built from the db_mysql modparams. */
export interface MysqlOptions {
  /** Connections in the pool. */
  poolSize: number;
  /** Attempts for a read (select, DDL) when the connection fails: OpenSIPS `max_db_queries`. */
  maxDbQueries: number;
  /** How long a write keeps waiting and retrying through an outage before it fails. */
  writeRetryMs: number;
  /** First delay between reconnect probes; doubles up to `reconnectBackoffMaxMs`. */
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  /** Connect timeout, and how long a read waits for a reconnect per attempt. */
  connectTimeoutMs: number;
  /** Statements slower than this are logged (µs, as OpenSIPS `exec_query_threshold`); 0 disables. */
  execQueryThresholdUs: number;
  log: DriverLog | undefined;
}

export const DEFAULT_MYSQL_OPTIONS: Readonly<MysqlOptions> = {
  poolSize: 10,
  maxDbQueries: 2,
  writeRetryMs: 60_000,
  reconnectBackoffMs: 100,
  reconnectBackoffMaxMs: 5_000,
  connectTimeoutMs: 2_000,
  execQueryThresholdUs: 0,
  log: undefined,
};
