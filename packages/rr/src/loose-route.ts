/**
 * loose_route() (RFC 3261 16.4 and 16.12): remove the Route entries that point at us and route by the
 * next one. A strict router ahead of us (our address in the R-URI) is handled as 16.4 says: the R-URI is
 * restored from the last Route entry.
 */
import type { NameAddr, RouteContext } from '@core/sip';

export interface LooseRouteResult {
  /** 1 routed by Route headers, -1 no Route header of ours or none at all. */
  code: number;
  /** Params of our (last popped) Route entry. */
  params: string | null;
}

function paramsOf(r: NameAddr): string {
  return r.uri.params.toString();
}

export function looseRoute(ctx: RouteContext): LooseRouteResult {
  let routes: readonly NameAddr[] = ctx.msg.routes;
  const ruri = ctx.ruri;
  // 16.4: a strict router before us put our Record-Route value (it has `lr`) in the R-URI.
  if (ruri.user === undefined && ruri.params.has('lr') && ctx.is_myself(ruri.host, ruri.port)) {
    const last = routes[routes.length - 1];
    if (last !== undefined) {
      routes = routes.slice(0, -1);
      ctx.$ru = last.uri.toString();
      ctx.ops.push({ kind: 'remove', name: 'Route' });
      for (const r of routes) ctx.ops.push({ kind: 'add', name: 'Route', value: r.raw, where: 'bottom' });
      if (routes.length === 0) return { code: 1, params: last.uri.params.toString() };
    }
  }
  let i = 0;
  let params: string | null = null;
  while (i < routes.length) {
    const r = routes[i];
    if (r === undefined || !ctx.is_myself(r.uri.host, r.uri.port)) break;
    params = paramsOf(r);
    ctx.ops.push({ kind: 'popRoute' });
    i++;
  }
  const next = routes[i];
  if (next === undefined) return { code: params === null ? -1 : 1, params };
  if (next.uri.params.has('lr')) {
    ctx.$du = next.uri.toString();
  } else {
    // Next hop is a strict router: it goes in the R-URI, the R-URI goes to the end of the route set.
    ctx.ops.push({ kind: 'popRoute' });
    ctx.ops.push({ kind: 'add', name: 'Route', value: `<${ctx.$ru}>`, where: 'bottom' });
    ctx.$ru = next.uri.toString();
  }
  return { code: 1, params };
}
