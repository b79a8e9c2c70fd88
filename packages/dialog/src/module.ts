/**
 * dialog: dialog tracking on top of tm and rr, as the OpenSIPS dialog module — states, callbacks, profiles,
 * values and flags, timeouts, OPTIONS pinging, DB persistence, MI, statistics and E_DLG_STATE_CHANGED.
 */
import { dialogSchema } from './schema.js';
import { defineModule, type RouteContext } from '@core/sip';
import { dialogParams } from './params.js';
import { DialogModule } from './module-state.js';
import { dialogMi } from './mi.js';
import { DLG_FLAG } from './dialog.js';
import { DLG_DIR } from './callbacks.js';
import { DlgState } from './state.js';
import { parseProfileDefs } from './profiles.js';
import { dlgErrors } from './errors.js';
import { fixRouteDialog, validateDialog } from './validate.js';
import { setDlgSharingTag, sharingTagMi } from './sharing-tags.js';
import type { DlgApi } from './api.js';
import { END_REASON } from './engine.js';

/** create_dialog flags string → DLG_FLAG bits. */
export function parseCreateFlags(s: string): number {
  let f = 0;
  for (const c of s) {
    if (c === 'B') f |= DLG_FLAG.BYEONTIMEOUT;
    else if (c === 'P') f |= DLG_FLAG.PING_CALLER;
    else if (c === 'p') f |= DLG_FLAG.PING_CALLEE;
    else if (c === 'R') f |= DLG_FLAG.REINVITE_PING_CALLER;
    else if (c === 'r') f |= DLG_FLAG.REINVITE_PING_CALLEE;
    else throw dlgErrors.createFlags(s);
  }
  return f;
}

function profileOf(m: DialogModule, fn: string, name: string) {
  const p = m.engine.profiles.search(name);
  if (p === undefined) throw dlgErrors.noProfile(fn, name);
  return p;
}

function flagBit(flag: number): number {
  if (!Number.isInteger(flag) || flag < 0 || flag > 31) throw new RangeError(`dialog flag ${flag} is not 0–31`);
  return (1 << flag) >>> 0;
}

const cur = (m: DialogModule, ctx: RouteContext) => m.engine.current(ctx);

/** The first live dialog whose value `key` is `val` (get_dialog_info). */
function findByVal(m: DialogModule, key: string, val: string) {
  for (const d of m.engine.table.values()) if (d.alive && d.vals?.get(key) === val) return d;
  return undefined;
}

export default defineModule({
  name: 'dialog',
  version: '0.1.0',
  description: 'Dialog tracking, profiles, timeouts, pinging and persistence (the OpenSIPS dialog module)',
  deps: [
    { module: 'tm', onMissing: 'abort' },
    { module: 'rr', onMissing: 'abort' },
    {
      module: 'db_mysql',
      requiredWhen: (p) => (p.db_mode !== 0 && /^mysql:/i.test(p.db_url ?? '') ? `db_mode=${p.db_mode} with a mysql:// db_url` : false),
    },
    {
      module: 'clusterer',
      requiredWhen: (p) =>
        p.dialog_replication_cluster > 0
          ? `dialog_replication_cluster=${p.dialog_replication_cluster}`
          : p.profile_replication_cluster > 0
            ? `profile_replication_cluster=${p.profile_replication_cluster}`
            : false,
    },
    {
      module: 'cachedb_redis',
      requiredWhen: (p) =>
        /^redis:/i.test(p.cachedb_url ?? '') && /\/[sb]/.test(`${p.profiles_with_value};${p.profiles_no_value}`)
          ? 'shared (/s, /b) profiles with a redis:// cachedb_url'
          : false,
    },
  ],
  params: dialogParams,
  tables: [dialogSchema()],
  stats: {
    active_dialogs: { kind: 'gauge', help: 'Confirmed dialogs (2xx sent, with or without its ACK)', noReset: true },
    early_dialogs: { kind: 'gauge', help: 'Dialogs in early state (provisional reply sent)', noReset: true },
    processed_dialogs: { kind: 'counter', help: 'Dialogs created since start' },
    expired_dialogs: { kind: 'counter', help: 'Dialogs ended by their timeout' },
    failed_dialogs: { kind: 'counter', help: 'Dialogs whose INVITE got a negative final reply' },
    dlg_repl_sent: { kind: 'counter', help: 'Dialog updates and deletes replicated to dialog_replication_cluster' },
    dlg_repl_received: { kind: 'counter', help: 'Dialog updates and deletes received from other nodes' },
    dlg_repl_errors: { kind: 'counter', help: 'Replication messages lost, malformed or refused (id collision)' },
    profile_repl_sent: { kind: 'counter', help: 'Profile count messages sent to profile_replication_cluster' },
    profile_repl_received: { kind: 'counter', help: 'Profile count messages received from other nodes' },
    shared_profile_stale_reads: { kind: 'counter', help: 'Shared profile sizes answered from the last known counts (cachedb unreachable)' },
  },
  events: {
    E_DLG_STATE_CHANGED: {
      help: 'A dialog changed state · each transition',
      params: ['hash_entry', 'hash_id', 'callid', 'from_tag', 'to_tag', 'old_state', 'new_state'],
    },
  },
  init: (ctx) => DialogModule.create(ctx),
  start: (m) => m.start(),
  stop: (m) => m.stop(),
  // The shutdown flush has its own budget (db_shutdown_timeout), not the loader's 10 s.
  stopTimeoutMs: (m) => (m.params.db_mode === 0 ? undefined : (m.params.db_shutdown_timeout + 5) * 1000),
  api(m): DlgApi {
    const e = m.engine;
    return {
      registerDlgcb: (dlg, types, cb, param, free) => e.register(dlg, types, cb, param, free),
      createDlg: (ctx, flags) => (e.create(ctx, flags) > 0 ? 0 : -1),
      getDlg: (ctx) => e.current(ctx),
      addProfiles: (spec, hasValue) => {
        try {
          const defs = parseProfileDefs(spec, hasValue);
          m.checkSharing(defs);
          e.profiles.add(defs);
          // Shared ones added after start, with no cachedb open yet: open it now (counts publish once it is).
          if (defs.some((d) => d.shared)) m.shareLate();
          return 0;
        } catch (err) {
          m.log.error({ err, profiles: spec }, 'add_profiles failed');
          return -1;
        }
      },
      searchProfile: (name) => e.profiles.search(name),
      setProfile: (ctx, value, profile, replicated = false) => {
        const d = e.current(ctx);
        if (d === undefined || !d.alive) return -1;
        e.profiles.set(d, profile, value ?? '', replicated);
        e.changed(d);
        return 0;
      },
      unsetProfile: (ctx, value, profile) => {
        const d = e.current(ctx);
        if (d === undefined || !e.profiles.unset(d, profile, value)) return -1;
        e.changed(d);
        return 0;
      },
      getProfileSize: (profile, value) => e.profiles.size(profile, value),
      storeDlgValue: (dlg, name, val) => {
        (dlg.vals ??= new Map()).set(name, val);
        e.changed(dlg);
        return 0;
      },
      fetchDlgValue: (dlg, name) => dlg.vals?.get(name),
      terminateDlg: (hEntry, hId, reason) => {
        const d = e.table.get(hEntry, hId);
        return d === undefined ? -1 : e.terminate(d, reason === '' ? END_REASON.API : reason);
      },
      matchDialog: (ctx) => e.match(ctx),
      validateDialog: (ctx, dlg) => validateDialog(ctx, dlg, e.msgDlg(ctx), (h, p) => ctx.is_myself(h, p)),
      fixRouteDialog: (ctx, dlg) => fixRouteDialog(ctx, dlg, e.msgDlg(ctx)),
      lookupDlg: (hEntry, hId) => e.table.get(hEntry, hId),
    };
  },
  functions: {
    create_dialog: {
      routes: ['request'],
      help: 'Tracks the dialog of this initial INVITE; flags: B bye on timeout, P/p OPTIONS-ping caller/callee, R/r re-INVITE-ping caller/callee',
      handler: (m, ctx, flags?: string) => m.engine.create(ctx, parseCreateFlags(flags ?? '')),
    },
    match_dialog: {
      routes: ['request'],
      help: 'Finds the dialog of an in-dialog request (did Route param, or Call-ID + tags)',
      handler: (m, ctx) => m.engine.match(ctx),
    },
    validate_dialog: {
      routes: ['request'],
      help: 'Checks CSeq, R-URI and Route set of an in-dialog request against its dialog',
      handler: (m, ctx) => {
        const d = cur(m, ctx);
        return d === undefined ? -4 : validateDialog(ctx, d, m.engine.msgDlg(ctx), (h, p) => ctx.is_myself(h, p));
      },
    },
    fix_route_dialog: {
      routes: ['request'],
      help: 'Rewrites R-URI and Route set of an in-dialog request from its dialog',
      handler: (m, ctx) => {
        const d = cur(m, ctx);
        return d === undefined ? -1 : fixRouteDialog(ctx, d, m.engine.msgDlg(ctx));
      },
    },
    DLG_status: {
      help: '$DLG_status: dialog state 1–5 (-1 without a dialog)',
      handler: (m, ctx) => cur(m, ctx)?.state ?? -1,
    },
    DLG_lifetime: {
      help: '$DLG_lifetime: seconds since the dialog was confirmed',
      handler: (m, ctx) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        return d.startTs === 0 ? 0 : Math.floor(Date.now() / 1000) - d.startTs;
      },
    },
    DLG_timeout: {
      help: '$DLG_timeout: seconds until the dialog expires; set with a number of seconds from now',
      handler: (m, ctx, seconds?: number) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        if (seconds === undefined) return m.engine.remaining(d);
        if (!Number.isInteger(seconds) || seconds <= 0) throw new RangeError(`$DLG_timeout = ${seconds}: must be a positive integer`);
        m.engine.setTimeout(d, seconds);
        return seconds;
      },
    },
    DLG_dir: {
      help: "$DLG_dir: 'downstream' or 'upstream' for in-dialog requests",
      handler: (m, ctx) => {
        const s = m.engine.msgDlg(ctx);
        return s === undefined || s.created ? '' : s.dir === DLG_DIR.DOWNSTREAM ? 'downstream' : 'upstream';
      },
    },
    DLG_count: {
      help: '$DLG_count: dialogs in memory that have not ended (in setup or confirmed)',
      handler: (m) => m.engine.liveCount,
    },
    DLG_did: {
      help: '$DLG_did: the dialog id as dlg_list prints it, h_entry:h_id',
      handler: (m, ctx) => cur(m, ctx)?.id ?? '',
    },
    DLG_id: {
      help: '$DLG_id (tsips, same as $DLG_did): h_entry:h_id',
      handler: (m, ctx) => cur(m, ctx)?.id ?? '',
    },
    DLG_flags: {
      help: '$DLG_flags: the script dialog flags',
      handler: (m, ctx) => cur(m, ctx)?.scriptFlags ?? -1,
    },
    DLG_end_reason: {
      help: "$DLG_end_reason: why the dialog ended ('Upstream BYE', 'Downstream BYE', 'Lifetime Timeout', 'MI Termination', 'Ping Timeout', 'ReINVITE Ping Timeout', 'API Termination' or the API's reason); '' while alive",
      handler: (m, ctx) => cur(m, ctx)?.termReason ?? '',
    },
    set_dlg_flag: {
      handler: (m, ctx, flag: number) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        d.scriptFlags = (d.scriptFlags | flagBit(flag)) >>> 0;
        m.engine.changed(d);
        return 1;
      },
    },
    reset_dlg_flag: {
      handler: (m, ctx, flag: number) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        d.scriptFlags = (d.scriptFlags & ~flagBit(flag)) >>> 0;
        m.engine.changed(d);
        return 1;
      },
    },
    is_dlg_flag_set: {
      handler: (m, ctx, flag: number) => {
        const d = cur(m, ctx);
        return d !== undefined && (d.scriptFlags & flagBit(flag)) !== 0 ? 1 : -1;
      },
    },
    test_and_set_dlg_flag: {
      help: 'Atomically: when the flag has `value`, flip it and return 1; else -1',
      handler: (m, ctx, flag: number, value: 0 | 1) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        const bit = flagBit(flag);
        const isSet = (d.scriptFlags & bit) !== 0;
        if (isSet !== (value === 1)) return -1;
        d.scriptFlags = (isSet ? d.scriptFlags & ~bit : d.scriptFlags | bit) >>> 0;
        m.engine.changed(d);
        return 1;
      },
    },
    store_dlg_value: {
      handler: (m, ctx, name: string, value: string) => {
        const d = cur(m, ctx);
        if (d === undefined) return -1;
        (d.vals ??= new Map()).set(name, value);
        m.engine.changed(d);
        return 1;
      },
    },
    fetch_dlg_value: {
      help: '$dlg_val(name): the stored value',
      handler: (m, ctx, name: string) => cur(m, ctx)?.vals?.get(name),
    },
    set_dlg_profile: {
      handler: (m, ctx, profile: string, value?: string) => {
        const p = profileOf(m, 'set_dlg_profile', profile);
        const d = cur(m, ctx);
        if (d === undefined || !d.alive) return -1;
        if (p.hasValue && value === undefined) throw new TypeError(`set_dlg_profile("${profile}"): this profile needs a value`);
        m.engine.profiles.set(d, p, value ?? '');
        m.engine.changed(d);
        return 1;
      },
    },
    unset_dlg_profile: {
      handler: (m, ctx, profile: string, value?: string) => {
        const p = profileOf(m, 'unset_dlg_profile', profile);
        const d = cur(m, ctx);
        if (d === undefined || !m.engine.profiles.unset(d, p, value)) return -1;
        m.engine.changed(d);
        return 1;
      },
    },
    is_in_profile: {
      handler: (m, ctx, profile: string, value?: string) => {
        const p = profileOf(m, 'is_in_profile', profile);
        const d = cur(m, ctx);
        return d !== undefined && m.engine.profiles.isIn(d, p, value) ? 1 : -1;
      },
    },
    get_profile_size: {
      help: 'The number of dialogs in the profile (with the value, when given); shared profiles count every node',
      handler: (m, _ctx, profile: string, value?: string) => m.engine.profiles.size(profileOf(m, 'get_profile_size', profile), value),
    },
    set_dlg_sharing_tag: {
      help: 'The current dialog follows this sharing tag: only the node where it is active pings, times out and deletes it',
      handler: (m, ctx, tag: string) => {
        const d = cur(m, ctx);
        return d === undefined ? -1 : setDlgSharingTag(m, d, tag);
      },
    },
    terminate_dialog: {
      help: 'Ends the current dialog (BYE to both sides)',
      handler: (m, ctx, reason?: string) => {
        const d = cur(m, ctx);
        return d === undefined ? -1 : m.engine.terminate(d, reason ?? END_REASON.API) === 0 ? 1 : -1;
      },
    },
    get_dialog_info: {
      help: 'get_dialog_info(attr, key, key_val): $dlg_val(attr) of another live dialog whose $dlg_val(key) is key_val',
      handler: (m, _ctx, attr: string, key: string, keyVal: string) => findByVal(m, key, keyVal)?.vals?.get(attr),
    },
    get_dialog_vals: {
      help: 'get_dialog_vals(names_avp, vals_avp, callid): every value of the live dialog of that Call-ID into two AVPs, as parallel arrays (index 0 first); 1 found, -1 not',
      handler: (m, ctx, namesAvp: string, valsAvp: string, callid: string) => {
        const d = m.engine.table.byCallid(callid).find((x) => x.alive);
        if (d === undefined) return -1;
        ctx.deleteAvp(namesAvp);
        ctx.deleteAvp(valsAvp);
        // AVPs push on top: write the last first so $(avp(names)[0]) is the first value.
        const all = [...(d.vals ?? [])];
        for (let i = all.length - 1; i >= 0; i--) {
          const [k, v] = all[i] as [string, string];
          ctx.setAvp(namesAvp, k);
          ctx.setAvp(valsAvp, v);
        }
        return 1;
      },
    },
  },
  mi: { ...dialogMi, ...sharingTagMi },
});

export { DlgState };
