/** The `b2b_entities` table, with OpenSIPS's column names (version 2). */
import type { TableSchema } from '@core/sip';

export function b2bEntitiesSchema(name = 'b2b_entities'): TableSchema {
  return {
    name,
    version: 2,
    columns: [
      { name: 'id', type: 'int', autoIncrement: true },
      // 0 server, 1 client
      { name: 'type', type: 'int' },
      { name: 'state', type: 'int' },
      { name: 'ruri', type: 'string', length: 255, nullable: true },
      { name: 'from_uri', type: 'string', length: 255 },
      { name: 'to_uri', type: 'string', length: 255 },
      { name: 'from_dname', type: 'string', length: 64, nullable: true },
      { name: 'to_dname', type: 'string', length: 64, nullable: true },
      { name: 'tag0', type: 'string', length: 64 },
      { name: 'tag1', type: 'string', length: 64, nullable: true },
      { name: 'callid', type: 'string', length: 64 },
      { name: 'cseq0', type: 'int' },
      { name: 'cseq1', type: 'int', nullable: true },
      { name: 'contact0', type: 'string', length: 255 },
      { name: 'contact1', type: 'string', length: 255, nullable: true },
      { name: 'route0', type: 'text', nullable: true },
      { name: 'route1', type: 'text', nullable: true },
      { name: 'sockinfo_srv', type: 'string', length: 64, nullable: true },
      { name: 'param', type: 'string', length: 255 },
      { name: 'mod_name', type: 'string', length: 32 },
      { name: 'storage', type: 'blob', nullable: true },
      { name: 'lm', type: 'int' },
      { name: 'lrc', type: 'int', nullable: true },
      { name: 'lic', type: 'int', nullable: true },
      { name: 'leg_cseq', type: 'int', nullable: true },
      { name: 'leg_route', type: 'text', nullable: true },
      { name: 'leg_tag', type: 'string', length: 64, nullable: true },
      { name: 'leg_contact', type: 'string', length: 255, nullable: true },
      { name: 'leg_sockinfo', type: 'string', length: 255, nullable: true },
    ],
    primaryKey: ['id'],
    indexes: [
      { name: 'b2b_entities_idx', columns: ['type', 'tag0', 'tag1', 'callid'], unique: true },
      { name: 'b2b_entities_param', columns: ['param'] },
    ],
  };
}
