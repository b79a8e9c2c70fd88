/** Coded errors of the pua module; messages name the field or param at fault. */
import { TsipsError } from '@core/sip';

export const puaErrors = {
  badField: (fn: string, field: string, why: string) => new TsipsError('E_CONFIG', `pua ${fn}: ${field} ${why}`),
  unknownEvent: (fn: string, ev: number) => new TsipsError('E_CONFIG', `pua ${fn}: event flag ${ev} is not registered (add_event first)`),
  dbOpen: (url: string | undefined, cause: unknown) =>
    new TsipsError('E_DEP_PARAM', `pua: db_url "${url ?? ''}" cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }),
  clusterNotYet: (id: number) =>
    new TsipsError('E_DEP_PARAM', `pua: cluster_id=${id}: clustering of pua records is not implemented in this version (leave cluster_id unset)`),
  clusterTag: () => new TsipsError('E_DEP_PARAM', 'pua: cluster_sharing_tag needs cluster_id'),
};
