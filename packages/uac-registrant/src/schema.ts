/** The `registrant` table, with OpenSIPS's column names (its `registrant` table, version 3). */
import type { TableSchema } from '@core/sip';
import type { RegParams } from './record.js';

/** Column names as the `*_column` modparams set them (defaults: OpenSIPS's). */
export interface Columns {
  registrar: string;
  proxy: string;
  aor: string;
  third_party_registrant: string;
  username: string;
  password: string;
  binding_URI: string;
  binding_params: string;
  expiry: string;
  forced_socket: string;
  cluster_shtag: string;
  state: string;
}

export function columnsOf(p: RegParams): Columns {
  return {
    registrar: p.registrar_column,
    proxy: p.proxy_column,
    aor: p.aor_column,
    third_party_registrant: p.third_party_registrant_column,
    username: p.username_column,
    password: p.password_column,
    binding_URI: p.binding_URI_column,
    binding_params: p.binding_params_column,
    expiry: p.expiry_column,
    forced_socket: p.forced_socket_column,
    cluster_shtag: p.cluster_shtag_column,
    state: p.state_column,
  };
}

export const DEFAULT_COLUMNS: Columns = {
  registrar: 'registrar',
  proxy: 'proxy',
  aor: 'aor',
  third_party_registrant: 'third_party_registrant',
  username: 'username',
  password: 'password',
  binding_URI: 'binding_URI',
  binding_params: 'binding_params',
  expiry: 'expiry',
  forced_socket: 'forced_socket',
  cluster_shtag: 'cluster_shtag',
  state: 'state',
};

export function registrantSchema(name = 'registrant', c: Columns = DEFAULT_COLUMNS): TableSchema {
  return {
    name,
    version: 3,
    columns: [
      { name: 'id', type: 'int', autoIncrement: true },
      { name: c.registrar, type: 'string', length: 255, default: '' },
      { name: c.proxy, type: 'string', length: 255, nullable: true },
      { name: c.aor, type: 'string', length: 255, default: '' },
      { name: c.third_party_registrant, type: 'string', length: 255, nullable: true },
      { name: c.username, type: 'string', length: 64, nullable: true },
      { name: c.password, type: 'string', length: 64, nullable: true },
      { name: c.binding_URI, type: 'string', length: 255, default: '' },
      { name: c.binding_params, type: 'string', length: 64, nullable: true },
      { name: c.expiry, type: 'int', nullable: true },
      { name: c.forced_socket, type: 'string', length: 64, nullable: true },
      { name: c.cluster_shtag, type: 'string', length: 64, nullable: true },
      // 0 enabled, 1 disabled.
      { name: c.state, type: 'int', default: 0 },
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'registrant_idx', columns: [c.aor, c.binding_URI, c.registrar] }],
  };
}
