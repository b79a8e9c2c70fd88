/**
 * rr: Record-Route and loose routing, as the OpenSIPS rr module. Record-Route is added when each copy of
 * the request is built (a core requestOut hook), because only then is the outgoing socket known.
 */
import { defineModule, type RouteContext } from '@core/sip';
import { rrParams } from './params.js';
import { RrState } from './state.js';
import { looseRoute } from './loose-route.js';
import { rrForSocket, rrPreset } from './record-route.js';
import type { Direction, RrApi, RrCallback } from './api.js';

interface RrModule {
  slot: number;
  appendFromtag: boolean;
  doubleRr: boolean;
  callbacks: { cb: RrCallback; priority: number }[];
  state(ctx: RouteContext): RrState;
}

function paramValue(params: string, name: string): string | null | undefined {
  for (const p of params.split(';')) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const n = (eq < 0 ? p : p.slice(0, eq)).trim();
    if (n.toLowerCase() === name.toLowerCase()) return eq < 0 ? null : p.slice(eq + 1).trim();
  }
  return undefined;
}

function isDirection(m: RrModule, ctx: RouteContext, dir: Direction): boolean {
  const params = m.state(ctx).routeParams;
  if (params === null) return false;
  const ftag = paramValue(params, 'ftag');
  if (typeof ftag !== 'string') return false;
  const downstream = ftag === ctx.msg.from.tag;
  return dir === 'downstream' ? downstream : !downstream;
}

function addParam(m: RrModule, ctx: RouteContext, param: string): void {
  m.state(ctx).params += param.startsWith(';') ? param : `;${param}`;
}

export default defineModule({
  name: 'rr',
  version: '0.1.0',
  description: 'Record-Route and loose routing (RFC 3261 16.4, 16.6, 16.12)',
  params: rrParams,
  init(ctx): RrModule {
    const slot = ctx.core.registerSlot();
    const m: RrModule = {
      slot,
      appendFromtag: ctx.params.append_fromtag === 1,
      doubleRr: ctx.params.enable_double_rr === 1,
      callbacks: [],
      state(rc) {
        let s = rc.slots[slot] as RrState | undefined;
        if (s === undefined) {
          s = new RrState();
          rc.slots[slot] = s;
        }
        return s;
      },
    };
    ctx.core.hooks.onRequestOut((rc, out) => {
      const s = rc.slots[slot] as RrState | undefined;
      if (s === undefined || !s.record) return;
      let params = s.params;
      if (m.appendFromtag && rc.msg.from.tag !== undefined) params = `;ftag=${rc.msg.from.tag}${params}`;
      if (s.preset !== null) {
        // record_route_preset: the first address faces the callee (top), the second the caller.
        const [a, b] = s.preset;
        if (b !== undefined) out.edit.addHeader('Record-Route', rrPreset(b, rc.rinfo.proto, params), 'top');
        if (a !== undefined) out.edit.addHeader('Record-Route', rrPreset(a, out.socket.proto, params), 'top');
        return;
      }
      const inbound = rc.rinfo.socket;
      if (m.doubleRr && inbound !== out.socket) out.edit.addHeader('Record-Route', rrForSocket(inbound, params), 'top');
      out.edit.addHeader('Record-Route', rrForSocket(out.socket, params), 'top');
    });
    return m;
  },
  api(m): RrApi {
    return {
      addRrParam: (ctx, p) => addParam(m, ctx, p),
      getRouteParam: (ctx, name) => {
        const params = m.state(ctx).routeParams;
        return params === null ? undefined : paramValue(params, name);
      },
      isDirection: (ctx, dir) => isDirection(m, ctx, dir),
      registerRrCallback: (cb, priority = 0) => {
        m.callbacks.push({ cb, priority });
        m.callbacks.sort((a, b) => a.priority - b.priority);
      },
      isRecordRouted: (ctx) => m.state(ctx).record,
    };
  },
  functions: {
    loose_route: {
      routes: ['request'],
      help: 'Routes the request by its Route headers (RFC 3261 16.4/16.12)',
      handler(m, ctx) {
        const r = looseRoute(ctx);
        if (r.params !== null) {
          m.state(ctx).routeParams = r.params;
          for (const { cb } of m.callbacks) cb(ctx, r.params);
        }
        return r.code;
      },
    },
    record_route: {
      routes: ['request', 'branch', 'failure'],
      help: 'Adds Record-Route to the request when it is relayed',
      handler(m, ctx, params?: string) {
        const s = m.state(ctx);
        s.record = true;
        if (params !== undefined && params !== '') addParam(m, ctx, params);
        return 1;
      },
    },
    record_route_preset: {
      routes: ['request', 'branch', 'failure'],
      help: 'Adds Record-Route with a fixed address (and a second for double RR)',
      handler(m, ctx, addr: string, addr2?: string) {
        const s = m.state(ctx);
        s.record = true;
        s.preset = addr2 === undefined ? [addr] : [addr, addr2];
        return 1;
      },
    },
    add_rr_param: {
      routes: ['request', 'branch', 'failure'],
      help: 'Adds a parameter to the Record-Route of this request',
      handler(m, ctx, param: string) {
        addParam(m, ctx, param);
        return 1;
      },
    },
    check_route_param: {
      routes: ['request'],
      help: 'Checks the params of our Route header against a regular expression',
      handler(m, ctx, re: string | RegExp) {
        const params = m.state(ctx).routeParams;
        if (params === null) return -1;
        return (typeof re === 'string' ? new RegExp(re) : re).test(params) ? 1 : -1;
      },
    },
    is_direction: {
      routes: ['request'],
      help: 'downstream when the request goes the way the initial one went',
      handler: (m, ctx, dir: Direction) => (isDirection(m, ctx, dir) ? 1 : -1),
    },
  },
});
