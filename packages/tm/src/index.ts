export { default, default as tm } from './module.js';
import './api.js';
import './functions.js';
export type { TmApi, TmcbType, TmCallback, TmCallbackParams, Transaction, UacRequest, UacCallbacks, UacOutcome, UacHandle, ReplyOptions } from './api.js';
export type { DnsResolver } from './dns-failover.js';
