/** MI commands of uac_registrant, with OpenSIPS 4.0's names, params and reply shapes. */
import { isIP, isIPv6 } from 'node:net';
import { MiError, MiErrorCode, ctime, parseUri, type DbRow, type MiCommandSpec, type MiParams } from '@core/sip';
import type { RegRecord } from './record.js';
import type { RegistrantModule } from './module-state.js';
import { STATE_NAMES } from './states.js';

function str(p: MiParams, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new MiError(MiErrorCode.InvalidParams, `${name} must be a string`);
}

/**
 * One record as OpenSIPS 4.0's reg_list prints it (modules/uac_registrant, run_mi_reg_list): the same keys in
 * the same order, the optional ones only when set. `enabled` is "yes"/"no"; `registration_t_out` is when the
 * next REGISTER is due (not when the binding ends); `dst_IP` + `ip` is where the REGISTERs go, once one was sent.
 */
export function recordInfo(r: RegRecord): Record<string, unknown> {
  const c = r.cfg;
  const o: Record<string, unknown> = {
    AOR: c.aor,
    expires: r.granted > 0 ? r.granted : r.askExpiry,
    state: STATE_NAMES[r.state],
    enabled: c.enabled ? 'yes' : 'no',
    last_register_sent: ctime(new Date(r.lastSent)),
    registration_t_out: ctime(new Date(r.dueAt)),
    registrar: c.registrar,
    binding: c.binding,
  };
  if (c.bindingParams !== '') o['binding_params'] = c.bindingParams;
  if (c.thirdParty !== '') o['third_party_registrant'] = c.thirdParty;
  if (c.forcedSocket !== '') o['socket'] = c.forcedSocket;
  if (c.proxy !== '') o['proxy'] = c.proxy;
  const dst = r.lastSent > 0 ? nextHopIp(c.proxy !== '' ? c.proxy : c.registrar) : undefined;
  if (dst !== undefined) {
    o['dst_IP'] = isIPv6(dst) ? 'IPv6' : 'IPv4';
    o['ip'] = dst;
  }
  if (c.shtag !== '') {
    o['shtag'] = c.shtag.slice(0, c.shtag.lastIndexOf('/'));
    o['cluster_id'] = c.clusterId;
  }
  return o;
}

/** The next hop's address when its URI names an IP (a host name would need the resolver's answer: left out). */
function nextHopIp(uri: string): string | undefined {
  let host: string;
  try {
    host = parseUri(uri).host;
  } catch {
    return undefined;
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? undefined : bare;
}

/** aor + contact + registrar: all three, or (where allowed) none. */
function keyParams(p: MiParams, optional: boolean): { aor: string; binding: string; registrar: string } | undefined {
  const aor = str(p, 'aor');
  const contact = str(p, 'contact');
  const registrar = str(p, 'registrar');
  if (aor === undefined && contact === undefined && registrar === undefined && optional) return undefined;
  if (aor === undefined || contact === undefined || registrar === undefined) throw new MiError(MiErrorCode.InvalidParams, 'aor, contact and registrar are all required');
  return { aor, binding: contact, registrar };
}

function record(m: RegistrantModule, p: MiParams): RegRecord {
  const k = keyParams(p, false)!;
  const r = m.find(k.aor, k.binding, k.registrar);
  if (r === undefined) throw new MiError(MiErrorCode.Failure, 'No such registrant');
  return r;
}

const KEY = ['aor', 'contact', 'registrar'] as const;
const OPT_KEY = ['aor?', 'contact?', 'registrar?'] as const;

/** reg_upsert params → a row under the configured column names. */
function rowOf(m: RegistrantModule, p: MiParams): DbRow {
  const c = m.cols;
  const row: DbRow = {};
  const set = (col: string, name: string) => {
    const v = str(p, name);
    if (v !== undefined) row[col] = v;
  };
  set(c.aor, 'aor');
  set(c.binding_URI, 'contact');
  set(c.registrar, 'registrar');
  set(c.proxy, 'proxy');
  set(c.third_party_registrant, 'third_party_registrant');
  set(c.username, 'username');
  set(c.password, 'password');
  set(c.binding_params, 'binding_params');
  set(c.forced_socket, 'forced_socket');
  set(c.cluster_shtag, 'cluster_shtag');
  for (const [col, name] of [
    [c.expiry, 'expiry'],
    [c.state, 'state'],
  ] as const) {
    const v = str(p, name);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new MiError(MiErrorCode.InvalidParams, `${name} must be a non-negative integer`);
    row[col] = n;
  }
  return row;
}

export const registrantMi: Readonly<Record<string, MiCommandSpec<RegistrantModule>>> = {
  reg_list: {
    help: 'Lists the registrants and their state (all, or one by aor + contact + registrar)',
    params: OPT_KEY,
    handler(m, p) {
      if (keyParams(p, true) === undefined) return { Records: m.table.all().map(recordInfo) };
      return { Registrant: recordInfo(record(m, p)) };
    },
  },
  reg_reload: {
    help: 'Reloads the registrants from the DB (all, or one by aor + contact + registrar); unchanged ones are kept as they are',
    params: OPT_KEY,
    async handler(m, p) {
      await m.reload(keyParams(p, true));
      return 'OK';
    },
  },
  reg_enable: {
    help: 'Enables a registrant (state column 0) and registers it now',
    params: KEY,
    async handler(m, p) {
      await m.setEnabled(record(m, p), true);
      return 'OK';
    },
  },
  reg_disable: {
    help: 'Disables a registrant (state column 1) and un-registers it now',
    params: KEY,
    async handler(m, p) {
      await m.setEnabled(record(m, p), false);
      return 'OK';
    },
  },
  reg_force_register: {
    help: 'Sends a REGISTER now for an enabled registrant, whatever its state',
    params: KEY,
    handler(m, p) {
      const r = record(m, p);
      if (!r.cfg.enabled) throw new MiError(MiErrorCode.Failure, 'Registrant is disabled');
      r.dueAt = 0;
      m.engine.registerNow(r);
      return 'OK';
    },
  },
  reg_upsert: {
    help: 'Inserts or updates one registrant row; it is registered at the next visit of its bucket',
    params: [...KEY, 'proxy?', 'third_party_registrant?', 'username?', 'password?', 'binding_params?', 'expiry?', 'forced_socket?', 'cluster_shtag?', 'state?'],
    async handler(m, p) {
      try {
        await m.upsert(rowOf(m, p));
      } catch (err) {
        if (err instanceof MiError) throw err;
        throw new MiError(MiErrorCode.InvalidParams, err instanceof Error ? err.message : String(err));
      }
      return 'OK';
    },
  },
  reg_delete: {
    help: 'Un-registers a registrant, then deletes its row',
    params: KEY,
    async handler(m, p) {
      await m.delete(record(m, p));
      return 'OK';
    },
  },
};
