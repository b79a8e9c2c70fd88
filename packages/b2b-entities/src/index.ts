export { default, default as b2bEntities, type UaKeyVar } from './module.js';
import './api.js';
export type { B2bApi, B2bNotify, B2bNotifyInfo, B2bOwner, B2bClientInfo, B2bRequest, B2bReply, B2bDlgInfo, B2bAddDlgInfo, B2bParamFree } from './api.js';
export { B2bState, B2B_SERVER, B2B_CLIENT, B2B_REQUEST, B2B_REPLY, DB_FLAG, type B2bEntityType, type B2bNotifyType, type B2bStateValue } from './state.js';
export { B2bError, type B2bErrorReason } from './errors.js';
export { b2bEntitiesSchema } from './schema.js';
export { b2bParams } from './params.js';
export { parseUaFlags, type UaFlags } from './ua-session.js';
