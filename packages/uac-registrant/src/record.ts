/** One registrant: a row of the table plus its registration state. Every field is set in the constructor. */
import { generateCallId, generateTag, type ParamsOf } from '@core/sip';
import type { UacHandle } from '@mod/tm';
import type { registrantParams } from './params.js';
import { RegState } from './states.js';

export type RegParams = ParamsOf<typeof registrantParams>;

/** The configuration part of a registrant, as a row gives it (validated). */
export interface RegConfig {
  /** The row's `id` when it came from the DB, 0 for one not stored. */
  readonly id: number;
  readonly registrar: string;
  /** '' for none. */
  readonly proxy: string;
  readonly aor: string;
  /** '' for none (From = To = aor). */
  readonly thirdParty: string;
  readonly username: string;
  readonly password: string;
  readonly binding: string;
  /** '' or `;name=value…`. */
  readonly bindingParams: string;
  /** Requested expiry in seconds (the row's, or default_expires). */
  readonly expiry: number;
  /** '' for the default socket. */
  readonly forcedSocket: string;
  /** '' or `tag/cluster_id`. */
  readonly shtag: string;
  readonly clusterId: number;
  readonly enabled: boolean;
}

/** Identity of a registrant, as MI names one: aor + contact (binding URI) + registrar. */
export function keyOf(aor: string, binding: string, registrar: string): string {
  return `${aor}\n${binding}\n${registrar}`;
}

/** Same registration content (all but the enabled state, which MI and reload handle on their own). */
export function sameConfig(a: RegConfig, b: RegConfig): boolean {
  return (
    a.registrar === b.registrar &&
    a.proxy === b.proxy &&
    a.aor === b.aor &&
    a.thirdParty === b.thirdParty &&
    a.username === b.username &&
    a.password === b.password &&
    a.binding === b.binding &&
    a.bindingParams === b.bindingParams &&
    a.expiry === b.expiry &&
    a.forcedSocket === b.forcedSocket &&
    a.shtag === b.shtag
  );
}

export class RegRecord {
  cfg: RegConfig;
  readonly key: string;
  readonly bucket: number;
  state: RegState = RegState.NOT_REGISTERED;
  readonly callId: string;
  readonly fromTag: string;
  cseq = 0;
  /** The expiry asked for in the next REGISTER (raised by a 423's Min-Expires). */
  askExpiry: number;
  /** The expiry the registrar granted (0 while not registered). */
  granted = 0;
  /** Unix ms of the last REGISTER sent (0 never). */
  lastSent = 0;
  /** Unix ms at which the registration ends (0 while not registered). */
  expiresAt = 0;
  /** Unix ms at which the timer refreshes or retries it (0: at the next visit of its bucket). */
  dueAt = 0;
  /** Consecutive failures (backoff exponent), 0 after a success. */
  failures = 0;
  /** The pending transaction, if any. */
  pending: UacHandle | null = null;
  /** Removed from the table (reload, reg_delete): replies that arrive later change nothing. */
  dropped = false;
  /** After the un-REGISTER in flight: register again (unique binding clean-up, reg_force_register). */
  reRegister = false;

  constructor(cfg: RegConfig, bucket: number) {
    this.cfg = cfg;
    this.key = keyOf(cfg.aor, cfg.binding, cfg.registrar);
    this.bucket = bucket;
    this.callId = generateCallId();
    this.fromTag = generateTag();
    this.askExpiry = cfg.expiry;
  }

  /** Binding params hold both reg-id and +sip.instance: the binding must be the only one (RFC 5626). */
  get uniqueBinding(): boolean {
    const p = this.cfg.bindingParams.toLowerCase();
    return /;\s*reg-id\s*=/.test(p) && /;\s*\+sip\.instance\s*=/.test(p);
  }
}
