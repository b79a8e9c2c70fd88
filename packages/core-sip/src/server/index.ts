export * from './types.js';
export { SipServer, createServer } from './server.js';
export { defineConfig, type ServerConfig, type MiHttpConfig, type ModParams } from './config.js';
export { CoreHooks, type ReplyInHook, type RequestOutHook, type OutgoingRequest, type ConnectionCloseHook, type RequestDoneHook } from './hooks.js';
export { viaFor, buildOutgoingRequest, addressFamily, type OutgoingOptions } from './outgoing.js';
export { resolveUri, resolveDestination, uriProto, defaultPort } from './resolve.js';
export { StatelessForwarder } from './forward.js';
export { fnv1a, hex8 } from './hash.js';
