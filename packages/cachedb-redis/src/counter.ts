/**
 * Atomic counter with expiry: INCRBY and EXPIRE in one Lua script, so no other client sees the new value
 * without its expiry, and a crash between the two cannot leave an immortal counter.
 */
import { createHash } from 'node:crypto';

export const COUNTER_LUA = "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) " + "if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end " + 'return v';

export const COUNTER_SHA = createHash('sha1').update(COUNTER_LUA).digest('hex');

/** The script cache is empty after a Redis restart or on a new cluster node: EVALSHA says NOSCRIPT. */
export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
