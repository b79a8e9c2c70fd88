import { z } from '@core/sip';

/** dialog modparams, OpenSIPS names (plus the few tsips additions marked as such). */
export const dialogParams = {
  /** Hash buckets of the dialog table (h_entry is a hash of the Call-ID modulo this). */
  hash_size: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(4096),
  /** Name of the Record-Route param that carries the dialog id (`;did=entry.id`), matched on in-dialog requests. */
  rr_param: z
    .string()
    .regex(/^[A-Za-z0-9_.!~*'-]+$/, 'a SIP param token')
    .default('did'),
  /** $DLG_timeout of new dialogs, in seconds (12 h as OpenSIPS). */
  default_timeout: z.number().int().min(1).default(43200),
  /**
   * How in-dialog requests are matched: 0 by the `did` Route param only, 1 by `did` and else by Call-ID +
   * tags, 2 by Call-ID + tags only.
   */
  dlg_match_mode: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  /**
   * Extra headers (full format, `Name: value` lines ended by CRLF) added to the BYEs the module sends
   * (timeout, dlg_end_dlg, API termination, failed pings).
   */
  dlg_extra_hdrs: z.string().default(''),
  /**
   * Seconds a dialog ended by a BYE stays in memory (deleted) after the BYE's transaction is over, or after
   * the request route when the BYE got none, so late retransmissions still match it. 0: drop it then.
   */
  delete_delay: z.number().min(0).default(0),
  /** Seconds between in-dialog OPTIONS pings of dialogs created with the P/p flags. */
  options_ping_interval: z.number().positive().default(30),
  /**
   * Seconds between in-dialog re-INVITE pings of dialogs created with the R/r flags (keep tm's fr_inv_timer
   * below it).
   */
  reinvite_ping_interval: z.number().positive().default(300),
  /** tsips: consecutive unanswered (408) pings that end a dialog; 481 ends it at once. */
  options_ping_max_failures: z.number().int().min(1).default(2),
  /**
   * `"name1; name2/s; name3/b"`: profiles whose dialogs carry a value; `/s` shares counts through cachedb,
   * `/b` too (OpenSIPS replicates `/b` over the clusterer; tsips through cachedb_url, which it then needs).
   */
  profiles_with_value: z.string().default(''),
  /** Same, for profiles without value. */
  profiles_no_value: z.string().default(''),
  /** cachedb for the `/s` profiles (in-memory when unset, which only shares within this process). */
  cachedb_url: z.string().optional(),
  /** tsips: this node's name in shared profile keys; keep it stable across restarts (default: host + first socket). */
  profile_node_id: z.string().optional(),
  /** tsips: seconds between rewrites of this node's shared profile counts (they expire after 3 periods). */
  profile_refresh_interval: z.number().positive().default(10),
  /**
   * tsips: seconds a shared profile lookup waits for cachedb; a slower or failed one starts an outage, during
   * which sizes are answered at once from the last known counts (statistic shared_profile_stale_reads).
   */
  profile_lookup_timeout: z.number().positive().default(0.5),
  /** DB of the dialogs when db_mode is not 0. */
  db_url: z.string().optional(),
  /** 0 no DB, 1 write at each change, 2 write every db_update_period, 3 write on shutdown. */
  db_mode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(0),
  /** Seconds between DB writes in db_mode 2 (and retries of failed writes in db_mode 1). */
  db_update_period: z.number().positive().default(60),
  table_name: z.string().default('dialog'),
  /**
   * tsips: seconds the shutdown may spend writing dialogs to the DB (db_mode 2/3, and failed db_mode 1
   * writes), retrying through a DB outage; the module's stop budget is this plus 5 s.
   */
  db_shutdown_timeout: z.number().positive().default(60),
  /** Cluster (clusterer) the dialogs are replicated to; 0: no dialog replication. */
  dialog_replication_cluster: z.number().int().min(0).default(0),
  /** Cluster the profile counts are replicated to (without dialog replication); 0: none. */
  profile_replication_cluster: z.number().int().min(0).default(0),
  /** Milliseconds between broadcasts of changed profile counts. */
  replicate_profiles_timer: z.number().int().positive().default(10),
  /** Seconds between full broadcasts of this node's counts and checks for expired ones of other nodes. */
  replicate_profiles_check: z.number().positive().default(10),
  /** Seconds after which another node's counts, not refreshed, are dropped. */
  replicate_profiles_expire: z.number().positive().default(10),
  /** Sharing tag given to every new dialog (set_dlg_sharing_tag() changes it per dialog); none when unset. */
  dlg_sharing_tag: z
    .string()
    .regex(/^[^/=\s]+$/, 'a tag name without "/", "=" or blanks')
    .optional(),
};
