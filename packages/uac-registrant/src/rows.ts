/**
 * Rows of the registrant table → registrant configs. A row with a bad value is rejected with a reason naming
 * the row and the column; the caller logs it and keeps the other rows.
 */
import { parseUri, type DbRow, type DbValue } from '@core/sip';
import type { RegConfig } from './record.js';
import type { Columns } from './schema.js';

export type RowResult = { ok: true; cfg: RegConfig } | { ok: false; reason: string };

function text(v: DbValue | undefined): string {
  if (v === null || v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8').trim() : String(v).trim();
}

/** How a row is named in logs: its id when it has one, else its AOR. */
export function rowName(row: DbRow, c: Columns): string {
  const id = row['id'];
  const aor = text(row[c.aor]);
  return id !== undefined && id !== null ? `id=${text(id)} (${aor || 'no aor'})` : `"${aor}"`;
}

function uriError(value: string, mandatory: boolean): string | undefined {
  if (value === '') return mandatory ? 'is empty' : undefined;
  try {
    const u = parseUri(value);
    if (u.scheme !== 'sip' && u.scheme !== 'sips') return `"${value}" is not a sip/sips URI`;
    if (u.host === '') return `"${value}" has no host`;
    return undefined;
  } catch (err) {
    return `"${value}" is not a valid URI (${err instanceof Error ? err.message : String(err)})`;
  }
}

export function configOfRow(row: DbRow, c: Columns, defaultExpires: number): RowResult {
  const name = rowName(row, c);
  const bad = (col: string, why: string): RowResult => ({ ok: false, reason: `registrant ${name}: column "${col}" ${why}` });
  const get = (k: keyof Columns) => text(row[c[k]]);
  for (const [k, mandatory] of [
    ['registrar', true],
    ['aor', true],
    ['binding_URI', true],
    ['proxy', false],
    ['third_party_registrant', false],
  ] as const) {
    const e = uriError(get(k), mandatory);
    if (e !== undefined) return bad(c[k], e);
  }
  const params = get('binding_params');
  if (params !== '' && !params.startsWith(';')) return bad(c.binding_params, `"${params}" must start with ";"`);
  const exp = row[c.expiry];
  let expiry = defaultExpires;
  if (exp !== null && exp !== undefined && text(exp) !== '') {
    const n = Number(text(exp));
    if (!Number.isInteger(n) || n < 0) return bad(c.expiry, `"${text(exp)}" is not a number of seconds`);
    if (n > 0) expiry = n;
  }
  const sh = get('cluster_shtag');
  let clusterId = 0;
  if (sh !== '') {
    const m = /^([^/\s]+)\/(\d+)$/.exec(sh);
    if (m === null) return bad(c.cluster_shtag, `"${sh}" is not in tag_name/cluster_id form`);
    clusterId = Number(m[2]);
  }
  const st = text(row[c.state]);
  if (st !== '' && st !== '0' && st !== '1') return bad(c.state, `"${st}" is not 0 (enabled) or 1 (disabled)`);
  const id = Number(text(row['id']));
  return {
    ok: true,
    cfg: {
      id: Number.isInteger(id) ? id : 0,
      registrar: get('registrar'),
      proxy: get('proxy'),
      aor: get('aor'),
      thirdParty: get('third_party_registrant'),
      username: get('username'),
      password: text(row[c.password]),
      binding: get('binding_URI'),
      bindingParams: params,
      expiry,
      forcedSocket: get('forced_socket'),
      shtag: sh,
      clusterId,
      enabled: st !== '1',
    },
  };
}
