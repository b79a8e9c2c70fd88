/**
 * Redis key and channel names. Everything lives under `tsips:clu:<cluster>:` so several clusters (and
 * other users of the same Redis) never collide.
 */
const root = (cluster: number): string => `tsips:clu:${cluster}:`;

/** Heartbeat of one node; it expires `node_timeout` after the last beat. */
export const nodeKey = (cluster: number, node: number): string => `${root(cluster)}node:${node}`;
/** SCAN pattern of every node's heartbeat in a cluster. */
export const nodePattern = (cluster: number): string => `${root(cluster)}node:*`;
/** Node id from a heartbeat key, NaN for anything else. */
export function nodeIdOf(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}
/** Lease of a sharing tag: its value is the owner's node id. */
export const shtagKey = (cluster: number, tag: string): string => `${root(cluster)}shtag:${tag}`;
/** Membership and sharing tag notices of a cluster. */
export const eventChannel = (cluster: number): string => `${root(cluster)}ev`;
/** Replication messages of one capability in a cluster. */
export const capChannel = (cluster: number, cap: string): string => `${root(cluster)}cap:${cap}`;
