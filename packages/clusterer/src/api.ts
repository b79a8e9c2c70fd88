/**
 * The clusterer API other modules bind (OpenSIPS `load_clusterer_api()`): sharing tag state and
 * callbacks, and replication channels per capability (dialog, b2b_entities "b2be-entities-repl",
 * uac_registrant, pua).
 */
import type { CapabilityHandler, ReplicationChannel } from './replication.js';
import type { NodeState } from './membership.js';
import type { ShtagState } from './shtags.js';

export interface ClustererApi {
  /** This node's id (`my_node_id`). */
  readonly nodeId: number;
  /** State of a sharing tag here; a tag not declared yet is declared as backup. */
  getShtagState(tag: string, cluster: number): ShtagState;
  /** Called on every change of the tag's state here · once per change · not for the initial state. */
  registerShtagCallback(tag: string, cluster: number, cb: (newState: ShtagState) => void): void;
  /** Makes the tag active on this node, taking it from its owner (MI clusterer_shtag_set_active). */
  shtagSetActive(tag: string, cluster: number): Promise<void>;
  /**
   * Joins `cluster` for capability `name` and returns its channel. Register during init or start;
   * a second registration of the same name and cluster throws E_CLUSTERER_CAPABILITY.
   */
  registerCapability(name: string, cluster: number, handler: CapabilityHandler): ReplicationChannel;
  /** Node ids of the cluster that are up now (this node excluded). */
  upNodes(cluster: number): number[];
  /** Called when another node of a cluster this node is in goes up or down · once per change. */
  onNodeState(cb: (cluster: number, nodeId: number, state: NodeState) => void): void;
}

declare module '@core/sip' {
  interface ModuleApis {
    clusterer: ClustererApi;
  }
}
