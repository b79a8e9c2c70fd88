export { RouteContext, type Branch, type AvpValue } from './context.js';
export type { RouteTable, RouteHandler, EventRouteHandler } from './routes.js';
export type { ScriptHost } from './host.js';
export { ScriptExit } from './exit.js';
export { applyHeaderOps, type HeaderOp } from './header-ops.js';
export { parsePv, type PvReader } from './pv.js';
