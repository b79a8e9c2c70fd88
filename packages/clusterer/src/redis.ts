/**
 * The two Redis connections of a node: one for commands, one subscribed to the cluster channels (a
 * subscribed connection can run nothing else). Both reconnect forever with backoff; commands fail fast
 * while Redis is away (no offline queue) so a heartbeat is never sent late, behind the node's back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { maskUrl, parseStorageUrl } from '@core/sip';
import { errors } from './errors.js';

/** Reconnect delays: 50 ms doubling to 2 s, so a restarted Redis is found again quickly. */
const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times - 1, 10), 2_000);

export interface RedisTarget {
  options: RedisOptions;
  masked: string;
}

export function redisTarget(url: string): RedisTarget {
  const masked = maskUrl(url);
  const u = parseStorageUrl(url);
  if (u.scheme !== 'redis' && u.scheme !== 'rediss') throw errors.param('cachedb_url', `must be a redis:// URL, got "${masked}"`);
  if (u.hosts.length !== 1) throw errors.param('cachedb_url', `names ${u.hosts.length} hosts; clusterer needs one Redis ("${masked}")`);
  const db = u.database === undefined || u.database === '' ? 0 : Number(u.database);
  if (!Number.isInteger(db) || db < 0) throw errors.param('cachedb_url', `has a bad database index "${u.database ?? ''}"`);
  return {
    masked,
    options: {
      host: u.host ?? '127.0.0.1',
      port: u.port ?? 6379,
      db,
      ...(u.user !== undefined && u.user !== '' ? { username: u.user } : {}),
      ...(u.password !== undefined ? { password: u.password } : {}),
      ...(u.scheme === 'rediss' ? { tls: {} } : {}),
      lazyConnect: true,
      connectTimeout: 2_000,
      retryStrategy,
    },
  };
}

/** The command connection: no offline queue, one try per command, bounded by `commandTimeoutMs`. */
export function commandConnection(t: RedisTarget, commandTimeoutMs: number): Redis {
  return new Redis({ ...t.options, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs });
}

/** The subscriber: SUBSCRIBE calls made while away are queued and every channel is resubscribed on return. */
export function subscriberConnection(t: RedisTarget, connectionName?: string): Redis {
  return new Redis({
    ...t.options,
    enableOfflineQueue: true,
    autoResubscribe: true,
    maxRetriesPerRequest: null,
    ...(connectionName !== undefined ? { connectionName } : {}),
  });
}

/** Connects a lazy connection, failing with a coded error naming the URL (bad address, bad password). */
export async function connect(r: Redis, masked: string): Promise<void> {
  try {
    await r.connect();
  } catch (err) {
    r.disconnect();
    throw errors.connect(masked, err);
  }
}
