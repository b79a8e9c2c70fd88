/**
 * Binds the modules' script functions onto a subclass of RouteContext made for one server, so a route
 * calls `ctx.t_relay()` with no lookup by name, and two servers in one process do not share functions.
 */
import type { ReceiveInfo } from '../transport/types.js';
import type { SipMessage } from '../message/message.js';
import type { RouteType, ScriptFunctionSpec, ScriptResult } from '../module/types.js';
import { RouteContext } from '../script/context.js';
import type { ScriptHost } from '../script/host.js';
import { TsipsError } from '../errors.js';

export interface BoundFunction {
  module: string;
  name: string;
  spec: ScriptFunctionSpec<unknown>;
  state: unknown;
}

export function bindScriptFunctions(fns: readonly BoundFunction[]): new (host: ScriptHost, t: RouteType, m: SipMessage, r: ReceiveInfo) => RouteContext {
  class ServerContext extends RouteContext {}
  const proto = ServerContext.prototype as unknown as Record<string, unknown>;
  for (const f of fns) {
    if (f.name in RouteContext.prototype) {
      throw new TsipsError('E_FUNCTION_DUPLICATE', `module "${f.module}" exports script function "${f.name}", which the core already has`);
    }
    // Called as a method of its spec, so a handler written with `this` still sees its spec.
    const spec = f.spec as { handler(state: unknown, ctx: RouteContext, ...args: unknown[]): ScriptResult | Promise<ScriptResult> };
    const routes = f.spec.routes;
    const { state, name, module } = f;
    proto[name] = function (this: RouteContext, ...args: unknown[]) {
      if (routes !== undefined && !routes.includes(this.routeType)) {
        throw new TsipsError('E_CONFIG', `${name}() of module "${module}" cannot be used in ${this.routeType} routes`);
      }
      return spec.handler(state, this, ...args);
    };
  }
  return ServerContext;
}
