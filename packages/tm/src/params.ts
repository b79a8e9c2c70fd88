import { z } from '@core/sip';

const flag01 = z.union([z.literal(0), z.literal(1)]);
/** Seconds, as OpenSIPS writes them; fractions are accepted so tests can run with short timers. */
const seconds = z.number().positive();

/** tm modparams, OpenSIPS names (plus a few tsips ones, marked). */
export const tmParams = {
  /** No final reply (or no ACK for a negative INVITE reply) after this many seconds: 408 (timers B/F/H). */
  fr_timer: seconds.default(30),
  /** No final reply to an INVITE after a provisional one, seconds. */
  fr_inv_timer: seconds.default(120),
  /** How long a completed transaction stays to absorb retransmissions, seconds (timers D/J/K). */
  wt_timer: seconds.default(5),
  /** Retry delay for deleting a transaction still in use, seconds. */
  delete_timer: seconds.default(2),
  /** RFC 3261 T1, ms. */
  T1_timer: z.number().int().positive().default(500),
  /** RFC 3261 T2, ms. */
  T2_timer: z.number().int().positive().default(4000),
  /**
   * tsips (not in the OpenSIPS doc): RFC 3261 T4, ms. Timer I (how long a negative INVITE reply's ACK
   * retransmissions are absorbed) is T4 over UDP and 0 over TCP/TLS, per RFC 3261 17.2.1.
   */
  T4_timer: z.number().int().positive().default(5000),
  /** RFC 2543 matching compares the R-URI. */
  ruri_matching: flag01.default(1),
  /** RFC 2543 matching compares the top Via. */
  via1_matching: flag01.default(1),
  /** Send timeout of t_write_unix, seconds. */
  unix_tx_timeout: seconds.default(2),
  /** Restart fr_inv_timer on every provisional reply. */
  restart_fr_on_each_reply: flag01.default(1),
  /** AVP overriding fr_timer per transaction (`$avp(name)` or `name`), '' = disabled. */
  fr_timer_avp: z.string().default(''),
  /** AVP overriding fr_inv_timer per transaction. */
  fr_inv_timer_avp: z.string().default(''),
  /** `append_name:element;element…` lists for t_write_req/t_write_unix (one string or several). */
  tw_append: z.union([z.string(), z.array(z.string())]).default(''),
  /**
   * Pass provisional replies to FIFO applications: the requests an application sends through MI
   * `t_uac_dlg` (the FIFO interface of old) report their 1xx replies too (`Provisional` in the result).
   */
  pass_provisional_replies: flag01.default(0),
  /** Branch ids derived from the transaction's hash and label (fast, not reboot-safe). */
  syn_branch: flag01.default(1),
  /** 0: AVPs in onreply_route are per reply; 1: they are the transaction's. */
  onreply_avp_mode: flag01.default(0),
  /** 1: a 6xx does not block serial forking. */
  disable_6xx_block: flag01.default(0),
  enable_stats: flag01.default(1),
  /** Branch flag (bit or name) marking minor branches, not waited for in parallel forking. */
  minor_branch_flag: z.union([z.number().int().min(0).max(31), z.string()]).optional(),
  /** Core param in OpenSIPS: 1 disables DNS failover for every transaction. */
  disable_dns_failover: flag01.default(0),
  /** tsips: DNS servers for RFC 3263 lookups (`127.0.0.1:5353,…`); the system's when empty. */
  dns_servers: z.string().default(''),
};
