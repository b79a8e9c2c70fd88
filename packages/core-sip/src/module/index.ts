// The module system: the contract, the loader, params validation and per-object slots.
export * from './types.js';
export { ModuleLoader, type ModuleLoaderOptions, type LoadedFunction, type LoadedModuleInfo, type ModuleTiming } from './loader.js';
export { ModuleContextImpl, ModuleStatsImpl, type ContextHost } from './context.js';
export { validateParams, describeSchema } from './params.js';
export { SlotRegistry } from './slots.js';
export { suggest } from './suggest.js';
