import { defineModule, type z } from '@core/sip';
import { MysqlDriver } from './driver.js';
import type { DriverLog } from '@core/sip';
import type { MysqlOptions } from './options.js';
import { dbMysqlParams, type DbMysqlParams } from './params.js';
import { DB_MYSQL_VERSION } from './version.js';

declare module '@core/sip' {
  interface ModuleParamsMap {
    db_mysql: z.input<z.ZodObject<typeof dbMysqlParams>>;
  }
}

/** Maps the modparams to driver options. */
export function mysqlOptions(p: DbMysqlParams, log?: DriverLog): Partial<MysqlOptions> {
  return {
    poolSize: p.pool_size,
    maxDbQueries: p.max_db_queries,
    connectTimeoutMs: Math.round(p.timeout_interval * 1000),
    execQueryThresholdUs: p.exec_query_threshold,
    reconnectBackoffMs: p.reconnect_backoff_ms,
    reconnectBackoffMaxMs: Math.max(p.reconnect_backoff_ms, p.reconnect_backoff_max_ms),
    writeRetryMs: p.write_retry_timeout,
    log,
  };
}

/**
 * db_mysql: serves `mysql://` db_urls for every module. It has no state of its own: the driver is
 * registered by the loader before any module's init, and each `ctx.db(url)` opens its own pool.
 */
export default defineModule({
  name: 'db_mysql',
  version: DB_MYSQL_VERSION,
  description: 'MySQL/MariaDB driver for db_url (mysql2 pool, prepared statements, retries through outages)',
  params: dbMysqlParams,
  // `log` is optional so the loader may pass the module's logger once the contract offers it.
  drivers: (params, log?: DriverLog) => ({ db: new MysqlDriver(mysqlOptions(params, log)) }),
  init: () => ({}),
});
