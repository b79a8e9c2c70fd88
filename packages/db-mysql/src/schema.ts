/**
 * DDL from the modules' TableSchema objects, and OpenSIPS's `version` table, which records the schema
 * version of every table (table_name, table_version) so a server refuses to run against an old layout.
 */
import type { ColumnSchema, DbValue, TableSchema } from '@core/sip';
import { createRequire } from 'node:module';
import type * as Mysql2 from 'mysql2';
import { quoteIdent } from './sql.js';

export const VERSION_TABLE = 'version';

export const VERSION_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS `version` (' +
  '`table_name` VARCHAR(32) NOT NULL, ' +
  '`table_version` INT UNSIGNED NOT NULL DEFAULT 0, ' +
  'CONSTRAINT `t_name_idx` UNIQUE (`table_name`)' +
  ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

function columnType(c: ColumnSchema): string {
  switch (c.type) {
    case 'int':
      return 'INT';
    case 'bigint':
      return 'BIGINT';
    case 'string':
      return `VARCHAR(${c.length ?? 255})`;
    case 'text':
      return 'TEXT';
    case 'blob':
      return 'BLOB';
    case 'datetime':
      return 'DATETIME';
    default: {
      const never: never = c.type;
      throw new Error(`unknown column type ${String(never)}`);
    }
  }
}

// mysql2's escaping, required on first use (a DDL default): loading mysql2 with the module would cost
// every server start, with or without a database, a tenth of a second.
const require = createRequire(import.meta.url);
let escape: ((v: DbValue) => string) | undefined;

function literal(v: DbValue): string {
  escape ??= (require('mysql2') as typeof Mysql2).escape;
  return escape(v);
}

function columnDef(c: ColumnSchema): string {
  let def = `${quoteIdent('column', c.name)} ${columnType(c)}`;
  def += c.nullable === true ? ' NULL' : ' NOT NULL';
  if (c.autoIncrement === true) def += ' AUTO_INCREMENT';
  else if (c.default !== undefined) def += ` DEFAULT ${literal(c.default)}`;
  return def;
}

/** `CREATE TABLE IF NOT EXISTS` for a module's table: columns, primary key, indexes, InnoDB, utf8mb4. */
export function createTableSql(schema: TableSchema): string {
  const parts = schema.columns.map(columnDef);
  if (schema.primaryKey.length > 0) {
    parts.push(`PRIMARY KEY (${schema.primaryKey.map((c) => quoteIdent('column', c)).join(', ')})`);
  }
  for (const idx of schema.indexes ?? []) {
    const cols = idx.columns.map((c) => quoteIdent('column', c)).join(', ');
    parts.push(`${idx.unique === true ? 'UNIQUE ' : ''}KEY ${quoteIdent('index', idx.name)} (${cols})`);
  }
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent('table', schema.name)} (${parts.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}
