/**
 * Example: a two-leg B2BUA with topology hiding, as a module on the typed b2b_entities API (what OpenSIPS's
 * b2b_logic does with b2b_api_t). The caller's INVITE becomes a server entity, a new INVITE to `dest` a
 * client entity: new Call-ID, tags, Via and Contact, none of the caller's headers. Replies, re-INVITEs,
 * UPDATEs, ACKs (with an answer SDP when the offer came in the 2xx) and BYEs are passed between the legs;
 * the bridge deletes both entities when the call ends, as the owner must.
 *
 * `tsips --config apps/server/examples/b2b-bridge.ts` bridges udp 127.0.0.1:5060 to sip:127.0.0.1:5070.
 */
import { defineConfig, defineModule, type RouteContext, type ServerConfig, type SipMessage } from '@core/sip';
import tm from '@mod/tm';
import b2bEntities, { B2B_CLIENT, B2B_REPLY, B2B_SERVER, type B2bApi, type B2bEntityType, type B2bNotifyInfo } from '@mod/b2b-entities';

declare module '@core/sip' {
  interface RouteContext {
    /** Bridges this initial INVITE to `dest`; 1, or -1 when it could not be started. */
    b2b_bridge(dest: string): number;
  }
}

interface Leg {
  readonly et: B2bEntityType;
  key: string;
  peer: Leg | null;
  /** Requests relayed from the peer that this leg's replies must answer, by method. */
  readonly relayed: Set<string>;
  /** The call came up (a 2xx to the B leg's INVITE). */
  answered: boolean;
}

function bodyOf(msg: SipMessage | undefined): { body?: Buffer; contentType?: string } {
  if (msg === undefined || msg.body.length === 0) return {};
  return { body: msg.body, contentType: msg.contentType };
}

class Bridge {
  /** Live calls, for the MI count. */
  calls = 0;
  constructor(
    readonly api: B2bApi,
    readonly log: { warn(o: object, m: string): void },
  ) {}

  start(ctx: RouteContext, dest: string): number {
    const msg = ctx.msg;
    const uas: Leg = { et: B2B_SERVER, key: '', peer: null, relayed: new Set(), answered: false };
    const uac: Leg = { et: B2B_CLIENT, key: '', peer: uas, relayed: new Set(), answered: false };
    uas.peer = uac;
    uas.key = this.api.server_new(ctx, { notify: (i) => this.#on(uas, i), modName: 'b2b_bridge', noAutoAck: true });
    uac.relayed.add('INVITE');
    try {
      uac.key = this.api.client_new(
        { ruri: dest, from: msg.from.uri.toString(), to: msg.to.uri.toString(), body: msg.body, contentType: msg.contentType },
        { notify: (i) => this.#on(uac, i), modName: 'b2b_bridge', logicKey: uas.key, noAutoAck: true },
      );
    } catch (err) {
      this.log.warn({ err, dest }, 'b2b_bridge: cannot start the B leg');
      this.api.send_reply(B2B_SERVER, uas.key, { method: 'INVITE', code: 500, text: 'B leg failed' });
      this.api.entity_delete(B2B_SERVER, uas.key);
      return -1;
    }
    this.api.update_b2bl_param(B2B_SERVER, uas.key, uac.key);
    this.calls++;
    return 1;
  }

  #on(leg: Leg, i: B2bNotifyInfo): void {
    const peer = leg.peer;
    if (peer === null) return;
    try {
      if (i.type === B2B_REPLY) this.#reply(leg, peer, i);
      else this.#request(leg, peer, i);
    } catch (err) {
      this.log.warn({ err, key: leg.key, method: i.method, code: i.code }, 'b2b_bridge: could not pass it on');
    }
  }

  /** A request on `leg`: answered here (BYE) or sent on to the peer, whose reply comes back. */
  #request(leg: Leg, peer: Leg, i: B2bNotifyInfo): void {
    switch (i.method) {
      case 'ACK':
        // The caller's ACK of the 2xx we relayed: the callee gets its ACK now (with the answer if any).
        this.api.send_request(peer.et, peer.key, { method: 'ACK', ...bodyOf(i.msg) });
        return;
      case 'CANCEL':
        // b2b_entities already answered 200 and 487 on this leg.
        this.api.send_request(peer.et, peer.key, { method: 'CANCEL' });
        return;
      case 'BYE':
        this.api.send_reply(leg.et, leg.key, { method: 'BYE', code: 200, text: 'OK' });
        this.api.send_request(peer.et, peer.key, { method: 'BYE' });
        leg.peer = null; // the BYE's reply on the peer ends the call
        return;
      default:
        peer.relayed.add(i.method);
        this.api.send_request(peer.et, peer.key, { method: i.method, ...bodyOf(i.msg) });
    }
  }

  #reply(leg: Leg, peer: Leg, i: B2bNotifyInfo): void {
    if (i.method === 'BYE') return this.#end(leg, peer);
    if (!leg.relayed.has(i.method)) return;
    if (i.code >= 200) leg.relayed.delete(i.method);
    if (i.method === 'INVITE' && i.code >= 200 && i.code < 300) leg.answered = true;
    const initialFailed = i.method === 'INVITE' && i.code >= 300 && leg.et === B2B_CLIENT && !leg.answered;
    try {
      this.api.send_reply(peer.et, peer.key, { method: i.method, code: i.code, text: i.reason, ...bodyOf(i.msg) });
    } catch {
      // e.g. the caller's INVITE was already answered 487 by its CANCEL
    }
    if (initialFailed) this.#end(leg, peer);
  }

  #end(a: Leg, b: Leg): void {
    a.peer = null;
    b.peer = null;
    this.api.entity_delete(a.et, a.key);
    this.api.entity_delete(b.et, b.key);
    this.calls--;
  }
}

export const b2bBridge = defineModule({
  name: 'b2b_bridge',
  version: '1.0.0',
  deps: [{ module: 'b2b_entities' }],
  init: (ctx) => new Bridge(ctx.api('b2b_entities'), ctx.log),
  functions: {
    b2b_bridge: { routes: ['request'], handler: (b, ctx, dest: string) => b.start(ctx, dest) },
  },
  mi: { b2b_bridge_calls: { help: 'Calls being bridged', handler: (b) => ({ calls: b.calls }) } },
});

export interface B2bBridgeOptions {
  listen?: string;
  dest?: string;
  mi?: number | false;
  log?: ServerConfig['log'];
}

export function b2bBridgeConfig(o: B2bBridgeOptions = {}): ServerConfig {
  const dest = o.dest ?? 'sip:127.0.0.1:5070';
  return defineConfig({
    listen: [o.listen ?? 'udp:127.0.0.1:5060'],
    mi: o.mi === false ? false : { port: o.mi ?? 8888 },
    log: o.log,
    modules: [tm, b2bEntities, b2bBridge],
    routes: {
      request(ctx) {
        if (ctx.is_method('INVITE') && !ctx.has_totag()) {
          if (ctx.b2b_bridge(dest) < 0) ctx.sl_send_reply(500, 'Cannot bridge');
          return;
        }
        if (!ctx.is_method('ACK')) ctx.sl_send_reply(404, 'Not Here');
      },
    },
  });
}

export default b2bBridgeConfig();
