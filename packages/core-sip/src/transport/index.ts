// Public API of the transport layer (the contract types live in ./types.ts, exported by the package root).
export { TransportLayer, DEFAULT_LIMITS, type TransportLayerOptions } from './transport-layer.js';
export { parseListen } from './listen.js';
export { TransportError, type TransportErrorCode } from './errors.js';
export { responseTarget, fromSocket, receivedParams, viaProto, type ViaInfo, type ResponseTarget, type ReceivedParams } from './response-target.js';
export { StreamFramer, scanContentLength, CL_ABSENT, CL_INVALID, type FramerEvents } from './stream-framer.js';
export { bareHost, hostPort } from './address.js';
