export { default, default as rr } from './module.js';
import './api.js';
export type { RrApi, RrCallback, Direction } from './api.js';
