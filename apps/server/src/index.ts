export { main } from './cli.js';
export { loadConfig } from './load-config.js';
export { defaultConfig } from './default-config.js';
