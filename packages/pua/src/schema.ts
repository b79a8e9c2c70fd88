/** The `pua` table with OpenSIPS's columns (version 8), plus tsips's `body` / `content_type` for a fresh PUBLISH after a 412. */
import type { TableSchema } from '@core/sip';

export function puaSchema(name = 'pua'): TableSchema {
  return {
    name,
    version: 8,
    columns: [
      { name: 'id', type: 'int' },
      { name: 'pres_uri', type: 'string', length: 255 },
      { name: 'pres_id', type: 'string', length: 255 },
      { name: 'event', type: 'int' },
      // Unix seconds.
      { name: 'expires', type: 'int' },
      { name: 'desired_expires', type: 'int' },
      { name: 'flag', type: 'int' },
      { name: 'etag', type: 'string', length: 64, nullable: true },
      { name: 'tuple_id', type: 'string', length: 64, nullable: true },
      { name: 'watcher_uri', type: 'string', length: 255, nullable: true },
      { name: 'to_uri', type: 'string', length: 255, nullable: true },
      { name: 'call_id', type: 'string', length: 64, nullable: true },
      { name: 'to_tag', type: 'string', length: 64, nullable: true },
      { name: 'from_tag', type: 'string', length: 64, nullable: true },
      { name: 'cseq', type: 'int', nullable: true },
      { name: 'record_route', type: 'text', nullable: true },
      { name: 'contact', type: 'string', length: 255, nullable: true },
      { name: 'remote_contact', type: 'string', length: 255, nullable: true },
      { name: 'version', type: 'int', nullable: true },
      { name: 'extra_headers', type: 'text', nullable: true },
      { name: 'sharing_tag', type: 'string', length: 32, nullable: true },
      // tsips
      { name: 'body', type: 'text', nullable: true },
      { name: 'content_type', type: 'string', length: 128, nullable: true },
      { name: 'outbound_proxy', type: 'string', length: 255, nullable: true },
      { name: 'interval', type: 'int', nullable: true },
    ],
    primaryKey: ['id'],
    indexes: [{ name: 'pua_key_idx', columns: ['pres_uri', 'pres_id', 'flag', 'event'] }],
  };
}
