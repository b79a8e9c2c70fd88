export * from './types.js';
export { Events, EventsError } from './registry.js';
