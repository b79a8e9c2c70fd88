/** Placeholder for the route context; the script engine defines it (integration work). */
export interface RouteContext {
  readonly routeType: import('../module/types.js').RouteType;
}
