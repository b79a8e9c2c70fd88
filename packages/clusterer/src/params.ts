import { z } from '@core/sip';

/**
 * A `sharing_tag` modparam value as OpenSIPS writes it: `name/cluster_id=active|backup` (`vip/1=active`).
 * The name may not hold `/` or `=`.
 */
export const SHTAG_DECL = /^([^/=\s]+)\/(\d+)=(active|backup)$/;

const seconds = (what: string) => z.number().positive({ message: `${what} must be a positive number of seconds` });

/** clusterer modparams (OpenSIPS names where OpenSIPS has one). */
export const clustererParams = {
  /** This node's id in every cluster it belongs to (OpenSIPS `my_node_id`). */
  my_node_id: z.number().int().positive(),
  /** Redis holding the cluster state: `redis://[user:pass@]host:port/db`. One host; no cluster form. */
  cachedb_url: z.string().min(1),
  /**
   * Clusters this node joins at start (OpenSIPS takes them from the nodes table). Clusters named by a
   * `sharing_tag` or a capability a module registers are joined too.
   */
  cluster_id: z.union([z.number().int().positive(), z.array(z.number().int().positive())]).default(1),
  /** This node's SIP address, shown to the others (the `url` of OpenSIPS `my_node_info`). */
  sip_addr: z.string().optional(),
  /** Heartbeat period, seconds (fractions allowed). */
  ping_interval: seconds('ping_interval').default(1),
  /** Seconds without a heartbeat after which a node is down; also the sharing tag lease time. */
  node_timeout: seconds('node_timeout').default(3),
  /** Sharing tags this node declares, with their initial state: `vip/1=active`. */
  sharing_tag: z
    .union([z.string().regex(SHTAG_DECL), z.array(z.string().regex(SHTAG_DECL))])
    .optional()
    .describe('name/cluster_id=active|backup'),
  /**
   * Seconds a node asking for a sync waits for a donor before it takes itself as synced (it is then the
   * first node holding that data, the "seed").
   */
  seed_fallback_interval: seconds('seed_fallback_interval').default(5),
  /**
   * tsips: replication messages held while Redis is away, published in order after the reconnect; past
   * this the oldest are dropped (the other nodes re-sync after their reconnect anyway).
   */
  replication_queue_size: z.number().int().min(0).default(10_000),
};

export interface ShtagDecl {
  tag: string;
  cluster: number;
  state: 'active' | 'backup';
}

export function parseShtagDecl(s: string): ShtagDecl | undefined {
  const m = SHTAG_DECL.exec(s);
  if (!m) return undefined;
  return { tag: m[1]!, cluster: Number(m[2]), state: m[3] === 'active' ? 'active' : 'backup' };
}

/** `vip/1` as the MI command takes it. */
export function parseShtagName(s: string): { tag: string; cluster: number } | undefined {
  const slash = s.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const cluster = Number(s.slice(slash + 1));
  if (!Number.isInteger(cluster) || cluster <= 0) return undefined;
  return { tag: s.slice(0, slash), cluster };
}
