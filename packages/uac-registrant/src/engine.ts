/**
 * The registrant state machine (the doc's ten states): what the timer does with a record on each visit of
 * its bucket, and what each final reply of a REGISTER / un-REGISTER does to it.
 *
 * - NOT_REGISTERED or a failure state, due → REGISTER (REGISTERING).
 * - 401/407 → the same REGISTER with credentials from uac_auth (AUTHENTICATING / AUTHENTICATING_UNREGISTER);
 *   credentials refused (not a stale nonce) → WRONG_CREDENTIALS, retried only after the backoff.
 * - 2xx → REGISTERED with the expiry the registrar granted (Contact expires param, else Expires), refreshed
 *   before it ends; with a unique binding (reg-id + +sip.instance) and several bindings listed, every binding
 *   is removed (Contact: *) and the REGISTER sent again.
 * - 423 → again with the Min-Expires it names; no answer → REGISTER_TIMEOUT; another error → REGISTRAR_ERROR;
 *   a reply that cannot be used → INTERNAL_ERROR.
 */
import { parseUri, uriEquals, type EventRegistry, type Gauge, type ModuleContext, type SipMessage } from '@core/sip';
import type { TmApi, UacRequest } from '@mod/tm';
import type { UacAuthApi } from '@mod/uac-auth';
import type { ClustererApi } from '@mod/clusterer';
import { retryDelayMs } from './backoff.js';
import type { BucketTimer } from './bucket-timer.js';
import { buildRegister, type RegisterKind } from './register.js';
import type { RegParams, RegRecord } from './record.js';
import { RegState, STATE_NAMES, isFailed, isPending } from './states.js';
import type { RegTable } from './table.js';

export interface EngineDeps {
  readonly tm: TmApi;
  readonly auth: UacAuthApi;
  readonly clusterer: ClustererApi | undefined;
  readonly events: EventRegistry;
  readonly log: ModuleContext['log'];
  readonly stats: { registered: Gauge; failed: Gauge; pending: Gauge };
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Auth rounds per attempt before giving up (a registrar that keeps answering stale=true). */
const MAX_AUTH_ROUNDS = 3;
/** 423 rounds per attempt. */
const MAX_423_ROUNDS = 2;

export class RegEngine {
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #counts = new Array<number>(10).fill(0);
  readonly #refreshTimers = new Map<RegRecord, NodeJS.Timeout>();
  readonly #shtagsWatched = new Set<string>();
  timer: BucketTimer | null = null;
  #stopping = false;

  constructor(
    readonly table: RegTable,
    readonly p: RegParams,
    private readonly d: EngineDeps,
  ) {
    this.#now = d.now ?? Date.now;
    this.#random = d.random ?? Math.random;
  }

  /** Records refreshed by a timer of their own (granted expiry too short for the bucket timer). */
  get ownRefreshTimers(): number {
    return this.#refreshTimers.size;
  }

  /** Adds a record to the table (NOT_REGISTERED, registered at the next visit of its bucket). */
  add(r: RegRecord): void {
    this.table.add(r);
    this.#counts[r.state]!++;
    this.#watchShtag(r);
    this.#publishStats();
  }

  /** Takes a record out of the table; with `unregister`, its binding is removed first if it is registered. */
  remove(r: RegRecord, unregister: boolean): Promise<void> {
    this.#clearRefresh(r);
    const wasRegistered = r.state === RegState.REGISTERED || r.pending !== null;
    this.table.remove(r);
    this.#counts[r.state]!--;
    this.#publishStats();
    if (unregister && wasRegistered && this.#mayAct(r)) return this.send(r, 'unregister');
    return Promise.resolve();
  }

  /** One visit of the timer to a bucket. */
  visit(bucket: number): void {
    if (this.#stopping) return;
    const now = this.#now();
    for (const r of this.table.buckets[bucket] ?? []) {
      if (!r.cfg.enabled || r.pending !== null || !this.#mayAct(r)) continue;
      if (r.dueAt <= now) void this.send(r, 'register');
    }
  }

  /** Sends now, whatever the timer would do (reg_force_register, reg_enable, a sharing tag taken over). */
  registerNow(r: RegRecord): void {
    if (!r.cfg.enabled || !this.#mayAct(r)) return;
    if (r.pending !== null) return;
    void this.send(r, 'register');
  }

  /** reg_disable: no more REGISTERs; the binding is removed if it is registered. */
  disable(r: RegRecord): Promise<void> {
    this.#clearRefresh(r);
    if (r.state === RegState.REGISTERED && r.pending === null && this.#mayAct(r)) return this.send(r, 'unregister');
    return Promise.resolve();
  }

  /** Sends a REGISTER of `kind` and follows it to its end (auth, 423, unique binding clean-up). */
  async send(r: RegRecord, kind: RegisterKind): Promise<void> {
    this.#clearRefresh(r);
    let req = buildRegister(r, kind);
    const unreg = kind !== 'register';
    this.#setState(r, unreg ? RegState.UNREGISTERING : RegState.REGISTERING, 0, '');
    r.lastSent = this.#now();
    let authRounds = 0;
    let rounds423 = 0;
    for (;;) {
      const h = this.d.tm.request(req);
      r.pending = h;
      const o = await h.done;
      r.pending = null;
      const code = o.code;
      const reply = o.reply;
      if (!unreg && !this.#mayAct(r)) return this.#abandon(r, code);
      if ((code === 401 || code === 407) && reply !== undefined) {
        const next = authRounds < MAX_AUTH_ROUNDS ? this.#authenticate(r, req, reply) : undefined;
        if (next === undefined) return this.#fail(r, RegState.WRONG_CREDENTIALS, code, reply.reason);
        if (typeof next === 'string') return this.#fail(r, RegState.INTERNAL_ERROR, code, next);
        authRounds++;
        req = next;
        r.cseq = next.cseq ?? r.cseq + 1;
        this.#setState(r, unreg ? RegState.AUTHENTICATING_UNREGISTER : RegState.AUTHENTICATING, code, reply.reason);
        r.lastSent = this.#now();
        continue;
      }
      if (code === 423 && reply !== undefined && !unreg) {
        const min = Number(reply.header('Min-Expires') ?? NaN);
        if (rounds423 < MAX_423_ROUNDS && Number.isInteger(min) && min > r.askExpiry) {
          rounds423++;
          r.askExpiry = min;
          req = buildRegister(r, kind);
          r.lastSent = this.#now();
          continue;
        }
        return this.#fail(r, RegState.REGISTRAR_ERROR, code, reply.reason);
      }
      if (code >= 200 && code < 300 && reply !== undefined) return unreg ? this.#unregistered(r, code, reply) : this.#registered(r, code, reply);
      if (reply === undefined && code === 408) return this.#fail(r, RegState.REGISTER_TIMEOUT, code, 'timeout');
      if (reply === undefined) return this.#fail(r, RegState.INTERNAL_ERROR, code, 'the REGISTER could not be sent');
      return this.#fail(r, RegState.REGISTRAR_ERROR, code, reply.reason);
    }
  }

  /** The next request with credentials, undefined when they are refused or missing, a string for another failure. */
  #authenticate(r: RegRecord, req: UacRequest, reply: SipMessage): UacRequest | string | undefined {
    const c = r.cfg;
    const res = this.d.auth.authenticate(req, reply, {
      credential: (realm) => (c.username === '' ? undefined : { user: c.username, realm, password: c.password }),
    });
    if (res.ok) return res.request;
    if (res.reason === 'rejected' || res.reason === 'no_credentials') return undefined;
    return `cannot answer the challenge (${res.reason})`;
  }

  #registered(r: RegRecord, code: number, reply: SipMessage): Promise<void> {
    const now = this.#now();
    let contacts;
    try {
      contacts = reply.contacts;
    } catch {
      this.#fail(r, RegState.INTERNAL_ERROR, code, 'bad Contact in the 2xx');
      return Promise.resolve();
    }
    if (r.uniqueBinding && contacts.length > 1 && !r.reRegister) {
      // RFC 5626 unique binding: remove every binding, then register ours alone.
      r.reRegister = true;
      return this.send(r, 'unregister_all');
    }
    r.reRegister = false;
    const mine = contacts.find((c) => sameBinding(c.uri.toString(), r.cfg.binding));
    const granted = mine?.expires ?? reply.expires ?? r.askExpiry;
    if (granted <= 0) {
      this.#fail(r, RegState.INTERNAL_ERROR, code, 'the registrar granted an expiry of 0');
      return Promise.resolve();
    }
    r.failures = 0;
    r.granted = granted;
    r.expiresAt = now + granted * 1000;
    this.#setState(r, RegState.REGISTERED, code, reply.reason);
    if (!r.cfg.enabled || r.dropped) return this.send(r, 'unregister');
    this.#scheduleRefresh(r, now, granted);
    return Promise.resolve();
  }

  #unregistered(r: RegRecord, code: number, reply: SipMessage): Promise<void> {
    r.granted = 0;
    r.expiresAt = 0;
    r.dueAt = 0;
    this.#setState(r, RegState.NOT_REGISTERED, code, reply.reason);
    if (r.reRegister && !r.dropped && r.cfg.enabled && !this.#stopping) return this.send(r, 'register');
    return Promise.resolve();
  }

  #fail(r: RegRecord, state: RegState, code: number, reason: string): void {
    r.failures++;
    r.reRegister = false;
    r.granted = 0;
    r.expiresAt = 0;
    r.dueAt = this.#now() + retryDelayMs(r.failures, this.p.failure_retry_interval, this.p.failure_retry_max_interval, this.#random);
    this.#setState(r, state, code, reason);
    this.d.log.debug({ aor: r.cfg.aor, state: STATE_NAMES[state], code, reason, retryInMs: r.dueAt - this.#now() }, 'registration failed');
  }

  /** A registration that is no longer ours to keep (its sharing tag went to another node): forget it quietly. */
  #abandon(r: RegRecord, code: number): void {
    r.dueAt = 0;
    r.granted = 0;
    r.expiresAt = 0;
    this.#setState(r, RegState.NOT_REGISTERED, code, 'sharing tag not active');
  }

  /**
   * When to refresh: once reregister_expiry_percentage of the granted expiry has passed, else (OpenSIPS) a
   * timer_interval before it ends, plus a margin for the round trip: the bucket is visited once per
   * timer_interval, so the last visit before `due` + timer_interval is still in time. When the granted expiry
   * is too short for the bucket timer to come back in time (#217), a timer of the record's own refreshes it.
   */
  #scheduleRefresh(r: RegRecord, now: number, granted: number): void {
    const pct = this.p.reregister_expiry_percentage;
    // Margin for the REGISTER's round trip: 10 % of the expiry, within 0.5–2 s.
    const safety = Math.min(2000, Math.max(500, granted * 100));
    let due = pct > 0 ? now + granted * pct * 10 : r.expiresAt - this.p.timer_interval * 1000 - safety;
    if (due <= now) due = now + granted * 500;
    r.dueAt = due;
    const visit = this.timer?.nextVisitAt(r.bucket, due) ?? Infinity;
    if (visit <= r.expiresAt - safety) return;
    const at = Math.min(due, r.expiresAt - safety);
    const t = setTimeout(
      () => {
        this.#refreshTimers.delete(r);
        if (r.state === RegState.REGISTERED && r.pending === null && !r.dropped) this.registerNow(r);
      },
      Math.max(0, at - now),
    );
    t.unref();
    this.#refreshTimers.set(r, t);
  }

  #clearRefresh(r: RegRecord): void {
    const t = this.#refreshTimers.get(r);
    if (t !== undefined) clearTimeout(t);
    this.#refreshTimers.delete(r);
  }

  #setState(r: RegRecord, state: RegState, code: number, reason: string): void {
    const old = r.state;
    if (old === state) return;
    r.state = state;
    if (!r.dropped) {
      this.#counts[old]!--;
      this.#counts[state]!++;
      this.#publishStats();
    }
    this.d.events.raise('E_UAC_REG_STATE', { aor: r.cfg.aor, state, old_state: old, code, reason });
  }

  #publishStats(): void {
    const c = this.#counts;
    this.d.stats.registered.set(c[RegState.REGISTERED]!);
    let failed = 0;
    let pending = 0;
    for (let s = 0; s < c.length; s++) {
      if (isFailed(s as RegState)) failed += c[s]!;
      else if (isPending(s as RegState)) pending += c[s]!;
    }
    this.d.stats.failed.set(failed);
    this.d.stats.pending.set(pending);
  }

  /** Clustering: a record with a sharing tag is acted on only where the tag is active. */
  #mayAct(r: RegRecord): boolean {
    if (this.p.enable_clustering === 0 || r.cfg.shtag === '' || this.d.clusterer === undefined) return true;
    const [tag] = r.cfg.shtag.split('/');
    return this.d.clusterer.getShtagState(tag!, r.cfg.clusterId) === 'active';
  }

  #watchShtag(r: RegRecord): void {
    const cl = this.d.clusterer;
    if (cl === undefined || this.p.enable_clustering === 0 || r.cfg.shtag === '' || this.#shtagsWatched.has(r.cfg.shtag)) return;
    const sh = r.cfg.shtag;
    this.#shtagsWatched.add(sh);
    const [tag] = sh.split('/');
    cl.registerShtagCallback(tag!, r.cfg.clusterId, (st) => {
      for (const rec of this.table.all()) {
        if (rec.cfg.shtag !== sh) continue;
        if (st === 'active') {
          rec.dueAt = 0;
          this.registerNow(rec);
        } else {
          // The new owner registers the binding with its own Call-ID; this node stops refreshing it.
          this.#clearRefresh(rec);
          if (rec.pending === null) this.#abandon(rec, 0);
        }
      }
    });
  }

  /** Shutdown: the timer stops, every registered binding is removed (bounded wait). */
  async stop(waitMs: number): Promise<void> {
    this.#stopping = true;
    this.timer?.stop();
    for (const t of this.#refreshTimers.values()) clearTimeout(t);
    this.#refreshTimers.clear();
    const unregs = this.table
      .all()
      .filter((r) => r.state === RegState.REGISTERED && r.pending === null && this.#mayAct(r))
      .map((r) => this.send(r, 'unregister'));
    if (unregs.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(unregs), new Promise<void>((res) => (timer = setTimeout(res, waitMs)))]);
    clearTimeout(timer);
  }
}

/** The binding the registrar echoes is ours: the same URI by RFC 3261 19.1.4 comparison. */
function sameBinding(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return uriEquals(parseUri(a), parseUri(b));
  } catch {
    return false;
  }
}
