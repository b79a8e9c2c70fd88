/** The `dialog` table, with OpenSIPS's column names (its `dialog` table, version 12). */
import type { TableSchema } from '@core/sip';

export function dialogSchema(name = 'dialog'): TableSchema {
  return {
    name,
    version: 12,
    columns: [
      // h_entry << 32 | h_id
      { name: 'dlg_id', type: 'bigint' },
      { name: 'callid', type: 'string', length: 255 },
      { name: 'from_uri', type: 'string', length: 255 },
      { name: 'from_tag', type: 'string', length: 64 },
      { name: 'to_uri', type: 'string', length: 255 },
      { name: 'to_tag', type: 'string', length: 64 },
      { name: 'mangled_from_uri', type: 'string', length: 255, nullable: true },
      { name: 'mangled_to_uri', type: 'string', length: 255, nullable: true },
      // Strings as OpenSIPS keeps them.
      { name: 'caller_cseq', type: 'string', length: 11 },
      { name: 'callee_cseq', type: 'string', length: 11 },
      { name: 'caller_ping_cseq', type: 'int' },
      { name: 'callee_ping_cseq', type: 'int' },
      { name: 'caller_route_set', type: 'text', nullable: true },
      { name: 'callee_route_set', type: 'text', nullable: true },
      { name: 'caller_contact', type: 'string', length: 255 },
      { name: 'callee_contact', type: 'string', length: 255 },
      { name: 'caller_sock', type: 'string', length: 64 },
      { name: 'callee_sock', type: 'string', length: 64 },
      { name: 'state', type: 'int' },
      // Unix seconds.
      { name: 'start_time', type: 'int' },
      // Unix seconds at which the dialog expires.
      { name: 'timeout', type: 'int' },
      // Dialog values as JSON ({"name":"value"}).
      { name: 'vars', type: 'text', nullable: true },
      // `name=value;…`, values percent-encoded.
      { name: 'profiles', type: 'text', nullable: true },
      { name: 'script_flags', type: 'bigint', default: 0 }, // unsigned 32 bits: INT would overflow
      { name: 'module_flags', type: 'bigint', default: 0 },
      { name: 'flags', type: 'bigint', default: 0 },
    ],
    primaryKey: ['dlg_id'],
    indexes: [{ name: 'callid_idx', columns: ['callid'] }],
  };
}
