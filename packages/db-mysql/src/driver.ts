import type { DbDriver, TableSchema } from '@core/sip';
import { MysqlDb } from './db.js';
import type { MysqlOptions } from './options.js';
import { MYSQL_SCHEMES } from './url.js';

/** The DbDriver registered for `mysql://` URLs: each `open` is its own pool. */
export class MysqlDriver implements DbDriver {
  readonly schemes: readonly string[] = MYSQL_SCHEMES;

  constructor(private readonly options: Partial<MysqlOptions> = {}) {}

  open(url: string): Promise<MysqlDb> {
    return MysqlDb.open(url, this.options);
  }
}

export interface CreateTablesResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the tables of the given module schemas (and `version`) in the database of `dbUrl`; tables
 * already there are checked against their recorded version. For `tsips db create <db_url>`.
 */
export async function createTables(dbUrl: string, schemas: readonly TableSchema[], options: Partial<MysqlOptions> = {}): Promise<CreateTablesResult> {
  const db = await MysqlDb.open(dbUrl, options);
  const result: CreateTablesResult = { created: [], existing: [] };
  try {
    for (const schema of schemas) {
      const status = await db.ensureTableStatus(schema);
      (status === 'created' ? result.created : result.existing).push(schema.name);
    }
  } finally {
    await db.close();
  }
  return result;
}
