import { z } from '@core/sip';

/** A route name the operator's script defines (checked at start). */
const routeName = z.string().regex(/^[A-Za-z0-9_:-]+$/, 'a route name');

/** b2b_entities modparams, OpenSIPS names and defaults. */
export const b2bParams = {
  /** log2 of the server entity hash table size (9 → 512 buckets). */
  server_hsize: z.number().int().min(1).max(20).default(9),
  /** log2 of the client entity hash table size. */
  client_hsize: z.number().int().min(1).max(20).default(9),
  /** `route[NAME]` run for every request received inside an entity, before its owner is told; drop() keeps it from the owner. */
  script_req_route: routeName.optional(),
  /** `route[NAME]` run (as an onreply route) for every reply received for a request an entity sent. */
  script_reply_route: routeName.optional(),
  /** DB for entities (db_mode 1 and 2); nothing is stored when unset. */
  db_url: z.string().optional(),
  /** cachedb (Redis) for entities instead of a SQL DB. */
  cachedb_url: z.string().optional(),
  /** Prefix of every cachedb key. */
  cachedb_key_prefix: z.string().default('b2be$'),
  /** Seconds between write-back DB updates (db_mode 2). */
  update_period: z.number().int().min(1).default(100),
  /** First part of generated keys (our To-tag of server entities, Call-ID of client entities). */
  b2b_key_prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -')
    .default('B2B'),
  /** 0 no DB, 1 write at each change, 2 write back every update_period. */
  db_mode: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
  /** Table of the entities. */
  db_table: z.string().default('b2b_entities'),
  /** Cluster replicating the entities (capability "b2be-entities-repl"); 0 disables clustering. */
  cluster_id: z.number().int().min(0).default(0),
  /** 0: a PRACK for a reliable 1xx is generated here; 1: it is left to the owner (end to end). */
  passthru_prack: z.union([z.literal(0), z.literal(1)]).default(0),
  /** Contact of the UA sessions started with ua_session_client_start (a URI; the sending socket by default). */
  advertised_contact: z.string().optional(),
  /** Seconds a UA session lives when its flags give no `t<sec>`: then BYE and delete. */
  ua_default_timeout: z.number().int().min(1).default(43200),
};
