import type { StatSpec } from '@core/sip';

/**
 * clusterer statistics. OpenSIPS counts BIN packets per capability; over Redis the unit is one published
 * replication or notice message, hence names of our own.
 */
export const clustererStats = {
  clusterer_sent_msgs: { kind: 'counter', help: 'Messages this node published to its clusters (replication, sync, notices)' },
  clusterer_received_msgs: { kind: 'counter', help: 'Replication messages from other nodes handled by this node' },
  clusterer_sync_requests: { kind: 'counter', help: 'Full-state sync requests this node served as donor' },
  clusterer_queued_msgs: { kind: 'counter', help: 'Replication messages held during a Redis outage (published after it)' },
  clusterer_dropped_msgs: { kind: 'counter', help: 'Replication messages dropped because the outage queue was full' },
  clusterer_sync_incomplete: { kind: 'counter', help: 'Syncs received with fewer items than the donor announced' },
} as const satisfies Record<string, StatSpec>;

export const clustererEvents = {
  E_CLUSTERER_NODE_STATE_CHANGED: {
    help: 'Another node of a cluster went up or down (new_state 1 up, 0 down)',
    params: ['cluster_id', 'node_id', 'new_state'],
  },
  E_CLUSTERER_SHARING_TAG_CHANGED: {
    help: 'A sharing tag changed state on this node (new_state active or backup)',
    params: ['tag', 'cluster_id', 'new_state'],
  },
} as const;
