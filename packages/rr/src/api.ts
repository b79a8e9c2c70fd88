/** The rr API other modules bind (OpenSIPS `load_rr_api()` / `struct rr_binds`), e.g. dialog's `did` param. */
import type { RouteContext } from '@core/sip';

/**
 * Fires in `loose_route()` when the request carried a Route header of ours · once per in-dialog request ·
 * `params` is that Route's parameter string (`;lr;ftag=…;did=…`).
 */
export type RrCallback = (ctx: RouteContext, params: string) => void;

export type Direction = 'downstream' | 'upstream';

export interface RrApi {
  /** Adds `;name=value` to the Record-Route this request will get (record_route must be called too). */
  addRrParam(ctx: RouteContext, param: string): void;
  /** Value of a param of our Route header seen by loose_route: string, null (no value) or undefined. */
  getRouteParam(ctx: RouteContext, name: string): string | null | undefined;
  /** `is_direction`: downstream when the From tag equals the `ftag` we recorded. */
  isDirection(ctx: RouteContext, dir: Direction): boolean;
  /** Registers a callback run by loose_route; a lower priority runs first. */
  registerRrCallback(cb: RrCallback, priority?: number): void;
  /** Whether record_route() was called on this message. */
  isRecordRouted(ctx: RouteContext): boolean;
}

declare module '@core/sip' {
  interface ModuleApis {
    rr: RrApi;
  }
  interface RouteContext {
    /** `loose_route()`: 1 when the request was routed by its Route headers, -1 when it had none of ours. */
    loose_route(): number;
    /** `record_route([params])`. */
    record_route(params?: string): number;
    /** `record_route_preset("host:port"[, "host2:port"])`: Record-Route with a fixed address. */
    record_route_preset(addr: string, addr2?: string): number;
    add_rr_param(param: string): number;
    /** `check_route_param(re)`: 1 when the params of our Route match. */
    check_route_param(re: string | RegExp): number;
    is_direction(dir: Direction): number;
  }
}
