/** MI commands of clusterer, OpenSIPS names: clusterer_list, clusterer_list_shtags, clusterer_shtag_set_active, clusterer_list_cap. */
import { MiError, MiErrorCode, type MiParams } from '@core/sip';
import type { ClusterNode } from './cluster-node.js';
import { parseShtagName } from './params.js';
import { reason } from './errors.js';

export function clustererList(n: ClusterNode): unknown {
  return {
    my_node_id: n.me,
    redis: n.redisUp ? 'up' : 'down',
    clusters: [...n.membership.clusters.keys()]
      .sort((a, b) => a - b)
      .map((cluster_id) => ({
        cluster_id,
        nodes: n.membership.nodes(cluster_id).map((x) => ({
          node_id: x.id,
          state: x.state,
          last_seen: new Date(x.lastSeen).toISOString(),
          ...(x.sipAddr !== undefined ? { sip_addr: x.sipAddr } : {}),
        })),
      })),
  };
}

export function clustererListShtags(n: ClusterNode): unknown {
  return n.shtags.list().map((t) => ({ tag: t.tag, cluster: t.cluster, state: t.state, owner: t.owner }));
}

export async function clustererShtagSetActive(n: ClusterNode, params: MiParams): Promise<unknown> {
  const raw = params['tag'];
  const name = typeof raw === 'string' ? parseShtagName(raw) : undefined;
  if (!name) throw new MiError(MiErrorCode.InvalidParams, `bad sharing tag "${String(raw)}", expected name/cluster_id (e.g. vip/1)`);
  try {
    await n.shtags.setActive(name.tag, name.cluster);
  } catch (err) {
    throw new MiError(MiErrorCode.Failure, `cannot set ${name.tag}/${name.cluster} active: ${reason(err)}`);
  }
  return 'OK';
}

export function clustererListCap(n: ClusterNode): unknown {
  return n.replication.list().map((c) => ({ capability: c.name, cluster_id: c.cluster, sync_state: c.status }));
}
