/** MI commands of the dialog module, with OpenSIPS's names, params and reply shapes. */
import { MiError, MiErrorCode, type MiParams } from '@core/sip';
import type { Dlg } from './dialog.js';
import type { DialogModule } from './module-state.js';
import { serializeProfiles, type DlgProfile } from './profiles.js';
import { END_REASON } from './engine.js';
import { parseHeaderLines } from './sip-util.js';

function dlgInfo(d: Dlg): Record<string, unknown> {
  return {
    ID: d.dbId,
    h_entry: d.hEntry,
    h_id: d.hId,
    state: d.state,
    user_flags: d.scriptFlags,
    module_flags: d.flags,
    timestart: d.startTs,
    timeout: d.expiresAt === 0 ? 0 : Math.ceil(d.expiresAt / 1000),
    callid: d.callid,
    from_uri: d.fromUri,
    to_uri: d.toUri,
    caller_tag: d.fromTag,
    caller_contact: d.callerContact,
    caller_cseq: String(d.callerCseq),
    caller_route_set: d.callerRouteSet,
    caller_bind_addr: d.callerSock,
    callee_tag: d.toTag,
    callee_contact: d.calleeContact,
    callee_cseq: String(d.calleeCseq),
    callee_route_set: d.calleeRouteSet,
    callee_bind_addr: d.calleeSock,
  };
}

function str(p: MiParams, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // A number or boolean as written; an object or array as its JSON, not "[object Object]".
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? '');
}

/** A non-negative integer MI param, undefined when absent. */
function count(p: MiParams, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MiError(MiErrorCode.InvalidParams, `${name} must be a non-negative integer`);
  return n;
}

function notFound(): MiError {
  return new MiError(MiErrorCode.Failure, 'Dialog not found');
}

/** The live dialog the `param` names (as findDialog reads it), else "Dialog not found". */
function liveDialog(m: DialogModule, p: MiParams, param: string): Dlg {
  const d = findDialog(m, str(p, param) ?? '');
  if (d === undefined || !d.alive) throw notFound();
  return d;
}

function profileOf(m: DialogModule, p: MiParams): DlgProfile {
  const prof = m.engine.profiles.search(str(p, 'profile') ?? '');
  if (prof === undefined) throw new MiError(MiErrorCode.Failure, 'Profile not found');
  return prof;
}

/** extra_hdrs of dlg_end_dlg: full-format header lines. */
function extraHdrs(s: string | undefined): [string, string][] {
  if (s === undefined || s === '') return [];
  try {
    return parseHeaderLines(s);
  } catch {
    throw new MiError(MiErrorCode.InvalidParams, 'extra_hdrs must be "Name: value" header lines');
  }
}

/** `dialog_id`: the numeric ID of dlg_list, `h_entry:h_id`, or a Call-ID. */
function findDialog(m: DialogModule, id: string): Dlg | undefined {
  const t = m.engine.table;
  if (/^\d+$/.test(id)) {
    const n = Number(id);
    const d = t.get(Math.floor(n / 0x1_0000_0000), n % 0x1_0000_0000);
    if (d !== undefined) return d;
  }
  const colon = id.indexOf(':');
  if (colon > 0 && /^\d+:\d+$/.test(id)) {
    const d = t.get(Number(id.slice(0, colon)), Number(id.slice(colon + 1)));
    if (d !== undefined) return d;
  }
  return t.byCallid(id)[0];
}

/**
 * dlg_list / dlg_list_ctx: all dialogs, those of a Call-ID (and From tag), or one page of all of them
 * (`index`: how many to skip, `counter`: how many to list at most; the reply then holds the total `count`).
 */
function listDialogs(m: DialogModule, p: MiParams, withCtx: boolean): unknown {
  const callid = str(p, 'callid');
  const fromTag = str(p, 'from_tag');
  const index = count(p, 'index');
  const counter = count(p, 'counter');
  const paged = index !== undefined || counter !== undefined;
  if (paged && callid !== undefined) throw new MiError(MiErrorCode.InvalidParams, 'give either callid [from_tag] or index [counter]');
  let list: Dlg[];
  let total = 0;
  if (callid !== undefined) list = m.engine.table.byCallid(callid).filter((d) => fromTag === undefined || d.fromTag === fromTag);
  else if (!paged) list = [...m.engine.table.values()];
  else {
    // Walk the table without copying it: skip `index`, keep up to `counter`, count them all.
    const from = index ?? 0;
    const max = counter ?? Infinity;
    list = [];
    for (const d of m.engine.table.values()) {
      if (total >= from && list.length < max) list.push(d);
      total++;
    }
  }
  const out = {
    Dialogs: list.map((d) => {
      const info = dlgInfo(d);
      if (!withCtx) return info;
      const context: Record<string, unknown> = {};
      if (d.vals !== null) context['values'] = Object.fromEntries(d.vals);
      if (d.profiles !== null) context['profiles'] = d.profiles.map((l) => ({ [l.profile.name]: l.value }));
      m.engine.runMiContext(d, context);
      info['context'] = context;
      return info;
    }),
  };
  return paged ? { count: total, ...out } : out;
}

export const dialogMi = {
  dlg_list: {
    help: 'Lists the dialogs in memory: all, those of a Call-ID (and From tag), or a page (index, counter)',
    params: ['callid?', 'from_tag?', 'index?', 'counter?'],
    handler: (m: DialogModule, p: MiParams) => listDialogs(m, p, false),
  },
  dlg_list_ctx: {
    help: 'Lists the dialogs with their context: values, profiles and what other modules add (DLGCB_MI_CONTEXT)',
    params: ['callid?', 'from_tag?', 'index?', 'counter?'],
    handler: (m: DialogModule, p: MiParams) => listDialogs(m, p, true),
  },
  dlg_end_dlg: {
    help: 'Ends a dialog (BYE to both sides, CANCEL while in setup); dialog_id is the ID of dlg_list, h_entry:h_id or the Call-ID; extra_hdrs are added to the BYEs',
    params: ['dialog_id', 'extra_hdrs?'],
    handler: (m: DialogModule, p: MiParams) => {
      const d = liveDialog(m, p, 'dialog_id');
      m.engine.terminate(d, END_REASON.MI, extraHdrs(str(p, 'extra_hdrs')));
      return 'OK';
    },
  },
  dlg_push_var: {
    help: 'Stores a dialog value ($dlg_val) in the dialog DID (as dlg_end_dlg identifies it)',
    params: ['dlg_val_name', 'dlg_val_value', 'DID'],
    handler: (m: DialogModule, p: MiParams) => {
      const d = liveDialog(m, p, 'DID');
      const name = str(p, 'dlg_val_name');
      if (name === undefined || name === '') throw new MiError(MiErrorCode.InvalidParams, 'dlg_val_name is empty');
      (d.vals ??= new Map()).set(name, str(p, 'dlg_val_value') ?? '');
      m.engine.changed(d);
      return 'OK';
    },
  },
  set_dlg_profile: {
    help: 'Puts the dialog DID into a profile (with a value for profiles with value)',
    params: ['DID', 'profile', 'value?'],
    handler: (m: DialogModule, p: MiParams) => {
      const d = liveDialog(m, p, 'DID');
      const prof = profileOf(m, p);
      const value = str(p, 'value');
      if (prof.hasValue && value === undefined) throw new MiError(MiErrorCode.InvalidParams, `profile ${prof.name} needs a value`);
      m.engine.profiles.set(d, prof, value ?? '');
      m.engine.changed(d);
      return 'OK';
    },
  },
  unset_dlg_profile: {
    help: 'Takes the dialog DID out of a profile (out of one value only, when given)',
    params: ['DID', 'profile', 'value?'],
    handler: (m: DialogModule, p: MiParams) => {
      const d = liveDialog(m, p, 'DID');
      const prof = profileOf(m, p);
      if (!m.engine.profiles.unset(d, prof, str(p, 'value'))) throw new MiError(MiErrorCode.Failure, 'Dialog not in profile');
      m.engine.changed(d);
      return 'OK';
    },
  },
  profile_get_values: {
    help: "The values of a profile with this node's dialog count for each (a profile without value: its total)",
    params: ['profile'],
    handler: (m: DialogModule, p: MiParams) => {
      const prof = profileOf(m, p);
      const Values: { value: string | null; count: number }[] = [];
      if (!prof.hasValue) Values.push({ value: null, count: prof.localSize() });
      else for (const [value, set] of prof.members) Values.push({ value, count: set.size });
      return { Values };
    },
  },
  profile_end_dlgs: {
    help: 'Ends every dialog of this node in a profile (with one value only, when given), each as dlg_end_dlg does',
    params: ['profile', 'value?'],
    handler: (m: DialogModule, p: MiParams) => {
      const prof = profileOf(m, p);
      const value = str(p, 'value');
      const victims: Dlg[] = [];
      for (const [v, set] of prof.members) if (value === undefined || !prof.hasValue || v === value) victims.push(...set);
      for (const d of new Set(victims)) if (d.alive) m.engine.terminate(d, END_REASON.MI);
      return 'OK';
    },
  },
  list_all_profiles: {
    help: 'Every dialog profile, with 1 when it has values and 0 when not',
    params: [],
    handler: (m: DialogModule) => {
      const out: Record<string, string> = {};
      for (const prof of m.engine.profiles.all()) out[prof.name] = prof.hasValue ? '1' : '0';
      return out;
    },
  },
  profile_get_size: {
    help: 'Number of dialogs in a profile (with one value, when given); shared profiles count every node',
    params: ['profile', 'value?'],
    handler: async (m: DialogModule, p: MiParams) => {
      const prof = profileOf(m, p);
      const name = prof.name;
      const value = str(p, 'value');
      return { Profile: { name, value: value ?? null, count: await m.engine.profiles.size(prof, value) } };
    },
  },
  profile_list_dlgs: {
    help: 'Dialogs of this node in a profile (with one value, when given)',
    params: ['profile', 'value?'],
    handler: (m: DialogModule, p: MiParams) => {
      const name = str(p, 'profile') ?? '';
      const prof = m.engine.profiles.search(name);
      if (prof === undefined) throw new MiError(MiErrorCode.Failure, 'Profile not found');
      const value = str(p, 'value');
      const out: Record<string, unknown>[] = [];
      for (const [v, set] of prof.members) {
        if (value !== undefined && prof.hasValue && v !== value) continue;
        for (const d of set) out.push({ ...dlgInfo(d), profiles: serializeProfiles(d.profiles) });
      }
      return { Dialogs: out };
    },
  },
  dlg_db_sync: {
    help: 'Reads the dialog table into memory: loads the dialogs missing from memory, refreshes the others',
    params: [],
    handler: async (m: DialogModule) => {
      if (m.store === null) throw new MiError(MiErrorCode.Failure, 'db_mode is 0: no dialog DB');
      const n = await m.loadFromDb(true);
      return { loaded: n };
    },
  },
  dlg_restore_db: {
    help: 'Rewrites the dialog table from memory (emptied, then every confirmed dialog written)',
    params: [],
    handler: async (m: DialogModule) => {
      const store = m.store;
      if (store === null) throw new MiError(MiErrorCode.Failure, 'db_mode is 0: no dialog DB');
      await store.clearTable();
      for (const d of m.engine.table.values()) d.inDb = false;
      const live = [...m.engine.table.values()].filter((d) => d.confirmed);
      await store.syncAll(live);
      return { written: live.length };
    },
  },
} as const;
