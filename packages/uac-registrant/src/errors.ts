/** Coded errors of uac_registrant; the messages name the param, row or column at fault (pinned by tests). */
import { TsipsError } from '@core/sip';

const why = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

export const regErrors = {
  timerInterval: (interval: number, buckets: number) =>
    new TsipsError(
      'E_MODULE_PARAM',
      `uac_registrant: timer_interval (${interval}) is lower than the number of hash buckets (2^hash_size = ${buckets}); raise timer_interval or lower hash_size`,
    ),
  forcedSocket: (row: string, socket: string, sockets: readonly string[]) =>
    new TsipsError('E_CONFIG', `uac_registrant: registrant ${row}: forced_socket "${socket}" is not a listen socket (listening on ${sockets.join(', ') || 'nothing'})`),
  dbOpen: (url: string | undefined, cause: unknown) => new TsipsError('E_DEP_PARAM', `uac_registrant: db_url "${url ?? ''}" cannot be opened: ${why(cause)}`, { cause }),
  dbLoad: (table: string, cause: unknown) => new TsipsError('E_STORAGE', `uac_registrant: cannot load table "${table}": ${why(cause)}`, { cause }),
};
