export { default, default as clusterer } from './module.js';
import './api.js';
export type { ClustererApi } from './api.js';
export type { CapabilityHandler, ReplicationChannel, ReplicatedMessage, SyncStatus } from './replication.js';
export type { ShtagState, ShtagCallback } from './shtags.js';
export type { NodeState } from './membership.js';
export { ClustererError, type ClustererErrorCode } from './errors.js';
export { clustererParams } from './params.js';
