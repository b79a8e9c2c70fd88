export { default } from './module.js';
export * from './api.js';
export { UaPres, type PuaKind } from './record.js';
export { puaSchema } from './schema.js';
export { puaParams } from './params.js';
export { parseSubState } from './notify.js';
