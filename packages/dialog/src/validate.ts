/** validate_dialog and fix_route_dialog: an in-dialog request checked against, or rebuilt from, its dialog. */
import { parseUri, type RouteContext } from '@core/sip';
import type { Dlg } from './dialog.js';
import type { MsgDlg } from './engine.js';
import { DLG_DIR } from './callbacks.js';
import { routeList } from './sip-util.js';

function sameUri(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const x = parseUri(a);
    const y = parseUri(b);
    return x.user === y.user && x.host.toLowerCase() === y.host.toLowerCase() && (x.port ?? 0) === (y.port ?? 0);
  } catch {
    return false;
  }
}

function uriOfRoute(r: string): string {
  const lt = r.indexOf('<');
  const gt = r.indexOf('>', lt + 1);
  return lt >= 0 && gt > lt ? r.slice(lt + 1, gt) : r.trim();
}

/** As OpenSIPS: 1 valid; -1 CSeq did not grow; -2 R-URI not the remote target; -3 Route set differs; -4 other (no dialog). */
export function validateDialog(ctx: RouteContext, d: Dlg, m: MsgDlg | undefined, isMyself: (h: string, p?: number) => boolean): number {
  if (m === undefined || m.dlg !== d || !d.alive) return -4;
  const msg = ctx.msg;
  const downstream = m.dir === DLG_DIR.DOWNSTREAM;
  if (msg.method !== 'ACK' && msg.method !== 'CANCEL' && msg.cseq.seq <= m.prevCseq) return -1;
  const target = downstream ? d.calleeContact : d.callerContact;
  if (target !== '' && !sameUri(msg.ruri, target)) return -2;
  // The Route entries left after ours must be the dialog's route set towards the target.
  const expected = routeList(downstream ? d.calleeRouteSet : d.callerRouteSet).map(uriOfRoute);
  const got: string[] = [];
  let ours = true;
  for (const r of msg.routes) {
    if (ours && isMyself(r.uri.host, r.uri.port)) continue;
    ours = false;
    got.push(r.uri.toString());
  }
  if (got.length !== expected.length) return -3;
  for (let i = 0; i < got.length; i++) if (!sameUri(got[i] as string, expected[i] as string)) return -3;
  return 1;
}

/** Rewrites R-URI, Route headers and $du from the dialog for the request's direction. */
export function fixRouteDialog(ctx: RouteContext, d: Dlg, m: MsgDlg | undefined): number {
  if (m === undefined || m.dlg !== d || !d.alive) return -1;
  const downstream = m.dir === DLG_DIR.DOWNSTREAM;
  const target = downstream ? d.calleeContact : d.callerContact;
  if (target === '') return -1;
  const routes = routeList(downstream ? d.calleeRouteSet : d.callerRouteSet);
  ctx.$ru = target;
  ctx.ops.push({ kind: 'remove', name: 'Route' });
  for (const r of routes) ctx.ops.push({ kind: 'add', name: 'Route', value: r, where: 'bottom' });
  const first = routes[0];
  ctx.$du = first === undefined ? '' : uriOfRoute(first);
  return 1;
}
