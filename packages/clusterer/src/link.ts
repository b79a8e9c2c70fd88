/** What the membership, sharing tag and replication parts share: the node's identity, Redis, timing. */
import type { Redis } from 'ioredis';
import type { ModuleContext } from '@core/sip';

type Logger = ModuleContext['log'];
import type { Counter, EventRegistry } from '@core/sip';

export interface Link {
  readonly me: number;
  /** Command connection. */
  readonly cmd: Redis;
  readonly log: Logger;
  readonly events: EventRegistry;
  /** Heartbeat period, ms. */
  readonly pingMs: number;
  /** node_timeout, ms: heartbeat expiry and sharing tag lease. */
  readonly timeoutMs: number;
  readonly sent: Counter;
  readonly received: Counter;
  readonly syncRequests: Counter;
  /** Syncs whose end marker announced more items than arrived. */
  readonly syncIncomplete: Counter;
  /** Publishes one JSON message and counts it as sent. */
  publish(channel: string, msg: object): Promise<void>;
  /** Same for a replication message, held during a Redis outage and published after it. */
  publishReplicated(channel: string, msg: object): Promise<void>;
  /** Subscribes the subscriber connection to `channel`; messages from this node are dropped before `on`. */
  subscribe(channel: string, on: (msg: Envelope) => void): Promise<void>;
}

/** Every message on a cluster channel. Short keys: these go to Redis for every replicated change. */
export interface Envelope {
  /** Source node id. */
  s: number;
  /** Destination node id for a unicast; absent for a broadcast. */
  d?: number;
  /** Kind: m message, sq sync request, sc sync chunk, se sync end, up/down node notice, sh sharing tag owner. */
  k: 'm' | 'sq' | 'sc' | 'se' | 'up' | 'down' | 'sh';
  /** Message type (m) or tag name (sh). */
  t?: string;
  p?: unknown;
  /** Sync id (sq/sc/se); owner node id or null (sh). */
  i?: string | number | null;
}

export function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e['s'] === 'number' && typeof e['k'] === 'string';
}
