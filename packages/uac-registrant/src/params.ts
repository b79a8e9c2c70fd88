import { z } from '@core/sip';

const column = (name: string) =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name')
    .default(name);

/** uac_registrant modparams, OpenSIPS names and defaults (the tsips additions are marked). */
export const registrantParams = {
  /** The table has 2^hash_size buckets, indexed by a hash of the AOR. */
  hash_size: z.number().int().min(0).max(20).default(1),
  /** Seconds for the timer to visit every bucket once (a bucket every timer_interval / 2^hash_size s). */
  timer_interval: z.number().int().min(1).default(100),
  /** Only the node where a row's sharing tag is active registers it (needs the clusterer module). */
  enable_clustering: z.union([z.literal(0), z.literal(1)]).default(0),
  /** Where the rows are; the in-memory DB when unset (rows then come from MI reg_upsert). */
  db_url: z.string().optional(),
  table_name: column('registrant'),
  registrar_column: column('registrar'),
  proxy_column: column('proxy'),
  aor_column: column('aor'),
  third_party_registrant_column: column('third_party_registrant'),
  username_column: column('username'),
  password_column: column('password'),
  binding_URI_column: column('binding_URI'),
  binding_params_column: column('binding_params'),
  expiry_column: column('expiry'),
  forced_socket_column: column('forced_socket'),
  cluster_shtag_column: column('cluster_shtag'),
  state_column: column('state'),
  /** OpenSIPS 4.0: the expiry asked for by rows whose expiry column is NULL or 0. */
  default_expires: z.number().int().min(1).default(3600),
  /** OpenSIPS 4.0: seconds before a failed registration is tried again (the first step of the backoff). */
  failure_retry_interval: z.number().positive().default(60),
  /**
   * OpenSIPS 4.0: a registration is refreshed once this share of the granted expiry has passed; 0 keeps
   * the older rule, refresh timer_interval seconds before it ends.
   */
  reregister_expiry_percentage: z.number().int().min(0).max(100).default(0),
  /** tsips: the backoff after consecutive failures doubles up to this many seconds (jittered, reset on success). */
  failure_retry_max_interval: z.number().positive().default(3600),
};
