/**
 * A proxy with tm + rr + dialog on a free loopback port, whose script the tests steer through hooks, and a
 * probe module that binds the dialog API the way another module would (load_dlg_api) and records every
 * callback it gets.
 */
import { SipServer, defineModule, type AnyModule, type RouteContext, type EventParams } from '@core/sip';
import tm from '@mod/tm';
import rr from '@mod/rr';
import dialog, { DLGCB, type DlgApi, type Dlg, type DlgCbParams } from '../src/index.js';
import { Ua } from './sip-ua.js';

export interface CbRecord {
  type: string;
  callid: string;
  msg: string | undefined;
  direction: number;
  dlgData: unknown;
  param: unknown;
}

export interface Hooks {
  /** create_dialog flags; null to not create a dialog. */
  flags: string | null;
  /** record_route() the initial INVITE (default true). */
  recordRoute: boolean;
  /** Runs after create_dialog on the initial INVITE. */
  initial?: (ctx: RouteContext) => void | Promise<void>;
  /** Runs on in-dialog requests before loose_route/match_dialog (e.g. a script that calls t_newtran first). */
  beforeMatch?(ctx: RouteContext): void | Promise<void>;
  /** Runs on in-dialog requests after loose_route/match_dialog. */
  within?(ctx: RouteContext, matched: boolean): void | Promise<void>;
  /** The onreply_route (every reply tm receives). */
  onreply?(ctx: RouteContext): void | Promise<void>;
}

const names = Object.fromEntries(Object.entries(DLGCB).map(([k, v]) => [v, `DLGCB_${k}`]));

export class Proxy {
  server!: SipServer;
  api!: DlgApi;
  readonly cbs: CbRecord[] = [];
  readonly events: EventParams[] = [];
  hooks: Hooks = { flags: '', recordRoute: true };
  calleePort = 0;

  static async start(modparams: Record<string, Record<string, unknown>> = {}, extraModules: AnyModule[] = [], port = 0): Promise<Proxy> {
    const p = new Proxy();
    const record = (d: Dlg, type: number, params: DlgCbParams) => {
      p.cbs.push({
        type: names[type] ?? String(type),
        callid: d.callid,
        msg: params.msg === undefined ? undefined : params.msg.isRequest ? params.msg.method : String(params.msg.status),
        direction: params.direction,
        dlgData: params.dlgData,
        param: params.param,
      });
    };
    const probe = defineModule({
      name: 'dlgprobe',
      version: '0.0.0',
      deps: [{ module: 'dialog' }],
      init(ctx) {
        const api = ctx.api('dialog');
        p.api = api;
        const perDialog =
          DLGCB.FAILED |
          DLGCB.CONFIRMED |
          DLGCB.REQ_WITHIN |
          DLGCB.TERMINATED |
          DLGCB.EXPIRED |
          DLGCB.EARLY |
          DLGCB.RESPONSE_FWDED |
          DLGCB.RESPONSE_WITHIN |
          DLGCB.MI_CONTEXT |
          DLGCB.DESTROY |
          DLGCB.SAVED;
        api.registerDlgcb(
          null,
          DLGCB.CREATED,
          (d, type, params) => {
            record(d, type, params);
            api.registerDlgcb(
              d,
              perDialog,
              (dd, t, pp) => {
                record(dd, t, pp);
                if (t === DLGCB.MI_CONTEXT) (pp.dlgData as Record<string, unknown>)['probe'] = 'here';
              },
              'per-dialog-param',
              (param) => p.cbs.push({ type: 'FREE', callid: d.callid, msg: undefined, direction: 0, dlgData: undefined, param }),
            );
          },
          'created-param',
        );
        api.registerDlgcb(null, DLGCB.LOADED, (d, type, params) => {
          record(d, type, params);
          api.registerDlgcb(d, perDialog, record, 'loaded-param');
        });
        return {};
      },
    });
    p.server = new SipServer({
      listen: [`udp:127.0.0.1:${port}`],
      mi: false,
      log: { level: process.env['DLG_TEST_LOG'] ?? 'silent' },
      modules: [tm, rr, dialog, probe, ...extraModules] as AnyModule[],
      modparams: { tm: { fr_timer: 1, fr_inv_timer: 3, wt_timer: 0.2, ...modparams['tm'] }, ...modparams },
      routes: { request: (ctx) => p.#route(ctx), onreply: (ctx) => p.hooks.onreply?.(ctx) },
    });
    await p.server.start();
    p.server.events.subscribe('E_DLG_STATE_CHANGED', (_n, params) => void p.events.push(params));
    return p;
  }

  get port(): number {
    return this.server.sockets[0]!.port;
  }

  async #route(ctx: RouteContext): Promise<void> {
    const h = this.hooks;
    if (ctx.has_totag()) {
      await h.beforeMatch?.(ctx);
      const matched = ctx.loose_route() > 0 || ctx.match_dialog() > 0;
      await h.within?.(ctx, matched);
      if (!matched && !ctx.is_method('ACK')) {
        ctx.sl_send_reply(404, 'Not Here');
        return;
      }
      await ctx.t_relay();
      return;
    }
    if (ctx.is_method('CANCEL')) {
      await ctx.t_relay();
      return;
    }
    if (ctx.is_method('INVITE')) {
      if (h.recordRoute) ctx.record_route();
      if (h.flags !== null) ctx.create_dialog(h.flags);
      await h.initial?.(ctx);
    }
    ctx.$du = `sip:127.0.0.1:${this.calleePort}`;
    await ctx.t_relay();
  }

  stat(name: string): number {
    return this.server.stats.query([`dialog:${name}`])[0]?.value ?? 0;
  }

  mi(cmd: string, params?: Record<string, unknown>): Promise<unknown> {
    return this.server.mi.call(cmd, params);
  }

  cbTypes(callid: string): string[] {
    return this.cbs.filter((c) => c.callid === callid).map((c) => c.type);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

export interface Call {
  caller: Ua;
  callee: Ua;
  /** The INVITE as the callee got it. */
  invite: string;
}

/**
 * A call set up through the proxy: INVITE, 180, 200, ACK. The callee answers with `answer` (default 200);
 * for a negative answer the call stops after the final reply reached the caller (and its ACK is sent).
 */
export async function call(p: Proxy, opts: { answer?: number; noAck?: boolean; caller?: Ua; callee?: Ua } = {}): Promise<Call> {
  const caller = opts.caller ?? (await Ua.open(p.port, 'alice'));
  const callee = opts.callee ?? (await Ua.open(p.port, 'bob'));
  p.calleePort = callee.port;
  await caller.invite('sip:bob@127.0.0.1');
  const inv = (await callee.nextNon100()).text;
  callee.learnFromInvite(inv);
  await callee.reply(inv, 180, 'Ringing');
  const ringing = await caller.nextNon100();
  if (!ringing.text.startsWith('SIP/2.0 180')) throw new Error(`caller expected 180, got ${ringing.text.split('\r\n')[0]}`);
  const code = opts.answer ?? 200;
  await callee.reply(inv, code, code === 200 ? 'OK' : 'Busy Here');
  const fin = await caller.nextNon100();
  if (!fin.text.startsWith(`SIP/2.0 ${code}`)) throw new Error(`caller expected ${code}, got ${fin.text.split('\r\n')[0]}`);
  if (code === 200) {
    caller.learnFromAnswer(fin.text);
    if (!opts.noAck) {
      await caller.sendInDialog('ACK');
      const ack = await callee.next();
      if (!ack.text.startsWith('ACK ')) throw new Error(`callee expected ACK, got ${ack.text.split('\r\n')[0]}`);
    }
  }
  return { caller, callee, invite: inv };
}

/** The callee answers the next request it gets (BYE, OPTIONS…) with `code`; returns that request. */
export async function answerNext(ua: Ua, code = 200, ms = 3000): Promise<string> {
  const r = await ua.nextNon100(ms);
  await ua.reply(r.text, code, code === 200 ? 'OK' : 'Whatever');
  return r.text;
}
