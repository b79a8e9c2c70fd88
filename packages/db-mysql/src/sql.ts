/**
 * SQL text for the DB API. Names are checked and backquoted; values always travel as placeholders.
 * Built statements are cached by (operation, table, column list) so a steady workload builds each
 * statement once and the server side reuses the prepared statement per connection.
 */
import type { DbSelectOptions, DbValue } from '@core/sip';
import { errors } from './errors.js';

/** A plain identifier: letters, digits, `_`, `$` (what OpenSIPS schemas use). Checked without a regex. */
function isIdentifier(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 /* _ */ || c === 36; /* $ */
    if (!ok) return false;
  }
  return true;
}

export function quoteIdent(what: 'table' | 'column' | 'index', name: string): string {
  if (!isIdentifier(name)) throw errors.identifier(what, name);
  return `\`${name}\``;
}

const cache = new Map<string, string>();
const CACHE_MAX = 2048;

function cached(key: string, build: () => string): string {
  let sql = cache.get(key);
  if (sql === undefined) {
    sql = build();
    // Keys come from module code, not from traffic, so the set is small; the cap is a safety net.
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, sql);
  }
  return sql;
}

function columnList(cols: readonly string[]): string {
  return cols.map((c) => quoteIdent('column', c)).join(', ');
}

export function insertSql(verb: 'INSERT' | 'REPLACE', table: string, cols: readonly string[]): string {
  return cached(`${verb}\0${table}\0${cols.join('\0')}`, () => {
    const marks = cols.map(() => '?').join(', ');
    return `${verb} INTO ${quoteIdent('table', table)} (${columnList(cols)}) VALUES (${marks})`;
  });
}

/** Multi-row insert for `query()` (client-side escaping): `VALUES ?` expands a nested array. */
export function bulkReplaceSql(table: string, cols: readonly string[]): string {
  return cached(`BULKR\0${table}\0${cols.join('\0')}`, () => `REPLACE INTO ${quoteIdent('table', table)} (${columnList(cols)}) VALUES ?`);
}

export function bulkInsertSql(table: string, cols: readonly string[]): string {
  return cached(`BULK\0${table}\0${cols.join('\0')}`, () => `INSERT INTO ${quoteIdent('table', table)} (${columnList(cols)}) VALUES ?`);
}

/**
 * Column = value filters: the cache key part and the placeholder values (cheap, every call). A null
 * value means `IS NULL` (SQL's `= NULL` never matches, which is never what a caller means).
 */
function whereValues(where: Readonly<Record<string, DbValue>> | undefined): { key: string; values: DbValue[] } {
  let key = '';
  const values: DbValue[] = [];
  if (where === undefined) return { key, values };
  for (const col in where) {
    const v = where[col];
    if (v === undefined) continue;
    if (v === null)
      key += `${col}!\0`; // "!" cannot occur in a valid column name
    else {
      key += `${col}\0`;
      values.push(v);
    }
  }
  return { key, values };
}

/** The WHERE clause text, built on a cache miss only. */
function whereSql(where: Readonly<Record<string, DbValue>> | undefined): string {
  if (where === undefined) return '';
  const parts: string[] = [];
  for (const col in where) {
    const v = where[col];
    if (v === undefined) continue;
    parts.push(v === null ? `${quoteIdent('column', col)} IS NULL` : `${quoteIdent('column', col)} = ?`);
  }
  return parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '';
}

export function updateSql(table: string, where: Readonly<Record<string, DbValue>>, set: Readonly<Record<string, DbValue>>): { sql: string; values: DbValue[] } {
  const cols = Object.keys(set);
  const w = whereValues(where);
  const values: DbValue[] = cols.map((c) => set[c] ?? null);
  values.push(...w.values);
  const sql = cached(`UPDATE\0${table}\0${cols.join('\0')}\0W\0${w.key}`, () => {
    const assigns = cols.map((c) => `${quoteIdent('column', c)} = ?`).join(', ');
    return `UPDATE ${quoteIdent('table', table)} SET ${assigns}${whereSql(where)}`;
  });
  return { sql, values };
}

export function deleteSql(table: string, where: Readonly<Record<string, DbValue>>): { sql: string; values: DbValue[] } {
  const w = whereValues(where);
  const sql = cached(`DELETE\0${table}\0${w.key}`, () => `DELETE FROM ${quoteIdent('table', table)}${whereSql(where)}`);
  return { sql, values: w.values };
}

/** `orderBy` is a column, optionally followed by ` ASC` or ` DESC`. */
function orderClause(orderBy: string | undefined): string {
  if (orderBy === undefined || orderBy === '') return '';
  const space = orderBy.indexOf(' ');
  const col = space < 0 ? orderBy : orderBy.slice(0, space);
  const dir =
    space < 0
      ? ''
      : orderBy
          .slice(space + 1)
          .trim()
          .toUpperCase();
  if (dir !== '' && dir !== 'ASC' && dir !== 'DESC') throw errors.identifier('column', orderBy);
  return ` ORDER BY ${quoteIdent('column', col)}${dir === '' ? '' : ` ${dir}`}`;
}

export function selectSql(table: string, where: Readonly<Record<string, DbValue>> | undefined, opts: DbSelectOptions | undefined): { sql: string; values: DbValue[] } {
  const w = whereValues(where);
  const cols = opts?.columns;
  const limit = opts?.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`select on table "${table}": limit must be a non-negative integer, got ${limit}`);
  }
  // LIMIT is written into the text (a checked integer): placeholders in LIMIT are refused by some servers.
  const key = `SELECT\0${table}\0${cols?.join('\0') ?? '*'}\0W\0${w.key}\0O\0${opts?.orderBy ?? ''}\0L\0${limit ?? ''}`;
  const sql = cached(key, () => {
    const what = cols === undefined || cols.length === 0 ? '*' : columnList(cols);
    const lim = limit === undefined ? '' : ` LIMIT ${limit}`;
    return `SELECT ${what} FROM ${quoteIdent('table', table)}${whereSql(where)}${orderClause(opts?.orderBy)}${lim}`;
  });
  return { sql, values: w.values };
}
