// @mod/db-mysql: the db_mysql module and its MySQL/MariaDB driver.
export { default, default as dbMysqlModule, mysqlOptions } from './module.js';
export { MysqlDb } from './db.js';
export { MysqlDriver, createTables, type CreateTablesResult } from './driver.js';
export { DEFAULT_MYSQL_OPTIONS, type MysqlOptions } from './options.js';
export { dbMysqlParams, type DbMysqlParams } from './params.js';
export { parseMysqlUrl, type MysqlUrl } from './url.js';
export { createTableSql, VERSION_TABLE_SQL } from './schema.js';
export { MysqlError, type MysqlErrorCode } from './errors.js';
export type { DriverLog } from '@core/sip';
