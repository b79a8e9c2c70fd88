/**
 * pua_dialoginfo: BLF. For each dialog flagged with dialoginfo_set() on its initial INVITE, the caller's
 * and/or callee's state (trying, early, confirmed, terminated) is published as RFC 4235 dialog-info
 * through pua. Uses only the dialog API (DLGCB_EARLY / CONFIRMED / FAILED / TERMINATED / EXPIRED) and the
 * pua API.
 */
import { defineModule, TsipsError, type RouteContext } from '@core/sip';
import { DLGCB, type Dlg, type DlgApi } from '@mod/dialog';
import { PUA_EVENT, type PuaApi } from '@mod/pua';
import { dialoginfoParams } from './params.js';
import { CallBlf, type DialoginfoConfig } from './publisher.js';

declare module '@core/sip' {
  interface RouteContext {
    /** `dialoginfo_set([side])`: publish this call's states; side "A" caller only, "B" callee only, both by default. 1 / -1. */
    dialoginfo_set(side?: string): number;
    /** `dialoginfo_set_branch_callee(uri)`: the callee presentity is `uri` (tsips: for the whole call, not one branch). */
    dialoginfo_set_branch_callee(uri: string): number;
    /** `dialoginfo_mute_branch()`: nothing is published for the callee (tsips: for the whole call). */
    dialoginfo_mute_branch(): number;
  }
}

interface State {
  readonly dlg: DlgApi;
  readonly pua: PuaApi;
  readonly cfg: DialoginfoConfig;
  readonly publishOnTrying: boolean;
  readonly nopublishFlag: number;
  readonly callerAvp: string | undefined;
  readonly calleeAvp: string | undefined;
  readonly calls: WeakMap<Dlg, CallBlf>;
  readonly caught: (err: unknown) => void;
}

const TYPES = DLGCB.EARLY | DLGCB.CONFIRMED | DLGCB.FAILED | DLGCB.TERMINATED | DLGCB.EXPIRED;

function onDlg(dlg: Dlg, type: number, blf: CallBlf): void {
  const state = type === DLGCB.EARLY ? 'early' : type === DLGCB.CONFIRMED ? 'confirmed' : 'terminated';
  void blf.publish(dlg, state);
}

function avpUri(ctx: RouteContext, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const v = ctx.avp(name);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function set(s: State, ctx: RouteContext, side: string | undefined): number {
  if (ctx.$rm !== 'INVITE' || ctx.has_totag()) return -1;
  if (s.nopublishFlag >= 0 && ctx.isflagset(s.nopublishFlag)) return -1;
  if (side !== undefined && side !== 'A' && side !== 'B') throw new TsipsError('E_CONFIG', `dialoginfo_set("${side}"): side is "A" (caller) or "B" (callee)`);
  let dlg = s.dlg.getDlg(ctx);
  if (dlg === undefined) {
    if (s.dlg.createDlg(ctx, 0) < 0) return -1;
    dlg = s.dlg.getDlg(ctx);
  }
  if (dlg === undefined || s.calls.has(dlg)) return dlg === undefined ? -1 : 1;
  const caller = avpUri(ctx, s.callerAvp) ?? dlg.fromUri;
  const callee = avpUri(ctx, s.calleeAvp) ?? dlg.toUri;
  const blf = new CallBlf(s.pua, s.cfg, s.caught, caller, callee, { caller: side !== 'B', callee: side !== 'A' });
  s.calls.set(dlg, blf);
  if (s.dlg.registerDlgcb(dlg, TYPES, (d, t) => onDlg(d, t, blf)) < 0) return -1;
  if (s.publishOnTrying) void blf.publish(dlg, 'trying');
  return 1;
}

function current(s: State, ctx: RouteContext): CallBlf | undefined {
  const d = s.dlg.getDlg(ctx);
  return d === undefined ? undefined : s.calls.get(d);
}

export default defineModule({
  name: 'pua_dialoginfo',
  version: '0.1.0',
  description: 'BLF: call states published as RFC 4235 dialog-info through pua (the OpenSIPS pua_dialoginfo module)',
  deps: [
    { module: 'dialog', onMissing: 'abort' },
    { module: 'pua', onMissing: 'abort' },
  ],
  params: dialoginfoParams,
  init(ctx): State {
    const p = ctx.params;
    const pua = ctx.api('pua');
    pua.addEvent(PUA_EVENT.DIALOG_EVENT, 'dialog', 'application/dialog-info+xml', undefined);
    return {
      dlg: ctx.api('dialog'),
      pua,
      cfg: {
        presenceServer: p.presence_server ?? '',
        callerConfirmed: p.caller_confirmed === 1,
        expires: p.publish_expires,
        includeCallid: p.include_callid === 1,
        includeLocalremote: p.include_localremote === 1,
        includeTags: p.include_tags === 1,
      },
      publishOnTrying: p.publish_on_trying === 1,
      nopublishFlag: p.nopublish_flag,
      callerAvp: p.caller_spec_param,
      calleeAvp: p.callee_spec_param,
      calls: new WeakMap(),
      caught: (err) => ctx.core.caught('pua_dialoginfo publish', err),
    };
  },
  functions: {
    dialoginfo_set: {
      routes: ['request'],
      help: 'On an initial INVITE: publish the call states for the caller (A), the callee (B) or both (default); creates the dialog when needed',
      handler: (s, ctx, side?: string) => set(s, ctx, side),
    },
    dialoginfo_set_branch_callee: {
      routes: ['request', 'branch'],
      help: 'The callee presentity of this call is the given URI',
      handler: (s, ctx, uri: string) => {
        const b = current(s, ctx);
        if (b === undefined || !/^sips?:/i.test(uri)) return -1;
        b.calleeUri = uri;
        return 1;
      },
    },
    dialoginfo_mute_branch: {
      routes: ['request', 'branch'],
      help: 'Publish nothing for the callee of this call',
      handler: (s, ctx) => {
        const b = current(s, ctx);
        if (b === undefined) return -1;
        b.callee = false;
        return 1;
      },
    },
  },
});
