/** Coded errors of the dialog module; messages name the param or call at fault. */
import { TsipsError } from '@core/sip';

export const dlgErrors = {
  /** db_mode needs a DB driver for db_url (or an in-memory DB when db_url is unset). */
  dbOpen: (mode: number, url: string | undefined, cause: unknown) =>
    new TsipsError(
      'E_DEP_PARAM',
      `dialog: db_mode=${mode} needs db_url "${url ?? ''}", which cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    ),
  cachedbOpen: (url: string | undefined, cause: unknown) =>
    new TsipsError(
      'E_DEP_PARAM',
      `dialog: shared (/s) profiles need cachedb_url "${url ?? ''}", which cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    ),
  profileParam: (param: string, cause: unknown) =>
    new TsipsError('E_MODULE_PARAM', `dialog: ${param}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }),
  createFlags: (flags: string) =>
    new TsipsError(
      'E_CONFIG',
      `create_dialog("${flags}"): unknown flag; use B (bye on timeout), P / p (OPTIONS-ping caller / callee), R / r (re-INVITE-ping caller / callee)`,
    ),
  binaryProfile: (where: string, name: string) =>
    new TsipsError(
      'E_DEP_PARAM',
      `dialog: ${where}: profile "${name}/b" is shared over binary replication in OpenSIPS; tsips shares /b profiles through cachedb_url, which is not set (set cachedb_url, or use /s or a local profile)`,
    ),
  /** profile_replication_cluster is for setups without dialog replication (replicas carry their profiles). */
  bothReplications: () =>
    new TsipsError(
      'E_MODULE_PARAM',
      'dialog: profile_replication_cluster and dialog_replication_cluster are both set; replicated dialogs carry their profiles already, set only dialog_replication_cluster',
    ),
  noProfile: (fn: string, name: string) => new TsipsError('E_CONFIG', `${fn}("${name}"): no such dialog profile (declare it in profiles_with_value / profiles_no_value)`),
};
