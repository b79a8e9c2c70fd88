/**
 * clusterer: cluster membership, sharing tags and replication channels, as the OpenSIPS clusterer module
 * but over Redis: heartbeats are keys with an expiry, sharing tags are leases, replication is pub/sub.
 */
import { defineModule } from '@core/sip';
import { clustererParams } from './params.js';
import { clustererEvents, clustererStats } from './stats.js';
import { ClusterNode } from './cluster-node.js';
import { errors } from './errors.js';
import { clustererList, clustererListCap, clustererListShtags, clustererShtagSetActive } from './mi.js';
import type { ClustererApi } from './api.js';

export default defineModule({
  name: 'clusterer',
  version: '0.1.0',
  description: 'Cluster membership, sharing tags and replication over Redis',
  params: clustererParams,
  stats: clustererStats,
  events: clustererEvents,
  async init(ctx): Promise<ClusterNode> {
    const p = ctx.params;
    if (p.node_timeout <= p.ping_interval) {
      throw errors.param('node_timeout', `(${p.node_timeout} s) must be greater than ping_interval (${p.ping_interval} s)`);
    }
    const node = new ClusterNode({
      nodeId: p.my_node_id,
      url: p.cachedb_url,
      clusters: typeof p.cluster_id === 'number' ? [p.cluster_id] : p.cluster_id,
      sipAddr: p.sip_addr,
      pingMs: Math.round(p.ping_interval * 1000),
      timeoutMs: Math.round(p.node_timeout * 1000),
      seedFallbackMs: Math.round(p.seed_fallback_interval * 1000),
      sharingTags: p.sharing_tag === undefined ? [] : typeof p.sharing_tag === 'string' ? [p.sharing_tag] : p.sharing_tag,
      log: ctx.log,
      events: ctx.events,
      counters: {
        sent: ctx.stats.counter('clusterer_sent_msgs'),
        received: ctx.stats.counter('clusterer_received_msgs'),
        syncRequests: ctx.stats.counter('clusterer_sync_requests'),
        queued: ctx.stats.counter('clusterer_queued_msgs'),
        dropped: ctx.stats.counter('clusterer_dropped_msgs'),
        syncIncomplete: ctx.stats.counter('clusterer_sync_incomplete'),
      },
      queueMax: p.replication_queue_size,
    });
    await node.connect();
    return node;
  },
  api(node): ClustererApi {
    return {
      nodeId: node.me,
      getShtagState: (tag, cluster) => node.shtags.declare(tag, cluster, 'backup').state,
      registerShtagCallback: (tag, cluster, cb) => void node.shtags.declare(tag, cluster, 'backup').callbacks.push(cb),
      shtagSetActive: async (tag, cluster) => void (await node.shtags.setActive(tag, cluster)),
      registerCapability: (name, cluster, handler) => node.replication.register(name, cluster, handler),
      upNodes: (cluster) =>
        node.membership
          .nodes(cluster)
          .filter((n) => n.state === 'up')
          .map((n) => n.id),
      onNodeState: (cb) => node.membership.onNodeState(cb),
    };
  },
  mi: {
    clusterer_list: { help: 'Nodes of each cluster with their state and last heartbeat', handler: clustererList },
    clusterer_list_shtags: { help: 'Sharing tags known here, with their state and owner', handler: clustererListShtags },
    clusterer_shtag_set_active: {
      help: 'Forces a sharing tag (name/cluster_id) active on this node',
      params: ['tag'],
      handler: clustererShtagSetActive,
    },
    clusterer_list_cap: { help: 'Replication capabilities and their sync state', handler: clustererListCap },
  },
  start: (node) => node.start(),
  stop: (node) => node.stop(),
});
