// Public surface of @core/sip. Each area exports its own pieces; see the folders for details.
export * from './module/types.js';
export * from './storage/types.js';
export * from './stats/types.js';
export * from './events/types.js';
export * from './mi/types.js';
export * from './transport/types.js';
export * from './server/types.js';
