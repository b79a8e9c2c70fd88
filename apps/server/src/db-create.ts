/**
 * `tsips db create <db_url>`: creates the tables of the configured modules (each module owns its schema,
 * `tables` in its declaration) and records their versions in the `version` table, as OpenSIPS's
 * `opensips-cli database create` does.
 */
import { createTables } from '@mod/db-mysql';
import { TsipsError, maskUrl, parseStorageUrl, type AnyModule, type TableSchema } from '@core/sip';

export async function dbCreate(url: string, modules: readonly AnyModule[]): Promise<{ created: string[]; existing: string[] }> {
  const { scheme } = parseStorageUrl(url);
  if (scheme !== 'mysql') throw new TsipsError('E_CONFIG', `tsips db create: no schema tool for "${scheme}" URLs (${maskUrl(url)}); mysql:// is supported`);
  const schemas: TableSchema[] = modules.flatMap((m) => [...(m.tables ?? [])]);
  return createTables(url, schemas);
}
