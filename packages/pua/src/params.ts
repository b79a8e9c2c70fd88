import { z } from '@core/sip';

/** pua modparams, OpenSIPS names and defaults (plus the tsips additions marked as such). */
export const puaParams = {
  /** log2 of the record table's buckets (OpenSIPS sizes its hash table 2^hash_size); tsips keeps a Map and uses it as a sizing hint only. */
  hash_size: z.number().int().min(1).max(20).default(9),
  /**
   * Where records are written every update_period and reloaded from at start. OpenSIPS defaults to a local
   * MySQL; tsips keeps them in memory (lost on restart) when unset, like every other tsips module.
   */
  db_url: z.string().optional(),
  db_table: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'a table name')
    .default('pua'),
  /** Lower bound of the Expires sent in PUBLISH and SUBSCRIBE (a smaller non-zero value is raised to it). */
  min_expires: z.number().int().min(0).default(300),
  /** Expires used when the caller gives none (a negative expires). */
  default_expires: z.number().int().min(1).default(3600),
  /** Seconds between DB write-backs; records are refreshed this long before they expire. */
  update_period: z.number().positive().default(30),
  /** Cluster sharing PUA data (clusterer module needed). */
  cluster_id: z.number().int().min(1).optional(),
  /** Sharing tag of new records: the node where it is active expires and refreshes them. */
  cluster_sharing_tag: z.string().optional(),
  /**
   * tsips (OpenSIPS pua has no such param): 0 (default, OpenSIPS's behaviour) leaves every NOTIFY to the
   * script, which answers it and may call pua_update_contact(); 1 answers the NOTIFYs of pua's subscription
   * dialogs before the request route (200 OK, Subscription-State, Contact as new remote target, callbacks).
   */
  consume_notify: z.union([z.literal(0), z.literal(1)]).default(0),
};
