/**
 * UA sessions: entities owned by b2b_entities itself, driven from the script (ua_session_server_init,
 * ua_session_update/reply/terminate) and MI (ua_session_client_start…), whose requests and replies are
 * reported through E_UA_SESSION. The session deletes its entity when the dialog ends (BYE either way,
 * CANCEL, a negative final reply to the initial INVITE, the timeout).
 */
import type { EventRegistry, ModuleContext, RouteContext, SipMessage } from '@core/sip';
import type { B2bNotifyInfo } from './api.js';
import type { B2bEngine } from './engine.js';
import type { Entity } from './entity.js';
import { b2bErrors } from './errors.js';
import { B2B_REPLY, B2B_SERVER, B2bState } from './state.js';
import { headerSection, parseMiAddress } from './sip-util.js';
import { sendRequest } from './uac-side.js';
import { sendReply } from './uas-side.js';

export const UA_MOD_NAME = 'b2b_entities';
export const UA_EVENT = 'E_UA_SESSION';

export interface UaFlags {
  /** Seconds until BYE (t<sec>, else ua_default_timeout). */
  timeout: number;
  /** a: report ACKs. */
  ack: boolean;
  /** r: report replies. */
  replies: boolean;
  /** d: no automatic ACK of a 2xx to our INVITE. */
  noAutoAck: boolean;
  /** h: headers in the event. */
  headers: boolean;
  /** b: body in the event. */
  body: boolean;
  /** n: no NEW event for the initial INVITE. */
  noNew: boolean;
}

export function parseUaFlags(fn: string, s: string | undefined, defaultTimeout: number): UaFlags {
  const f: UaFlags = { timeout: defaultTimeout, ack: false, replies: false, noAutoAck: false, headers: false, body: false, noNew: false };
  const str = s ?? '';
  for (let i = 0; i < str.length; i++) {
    const c = str[i];
    switch (c) {
      case 't': {
        const m = /^\d+/.exec(str.slice(i + 1));
        if (m === null || Number(m[0]) <= 0) throw b2bErrors.flags(fn, str, '"t" needs a number of seconds > 0');
        f.timeout = Number(m[0]);
        i += m[0].length;
        break;
      }
      case 'a':
        f.ack = true;
        break;
      case 'r':
        f.replies = true;
        break;
      case 'd':
        f.noAutoAck = true;
        break;
      case 'h':
        f.headers = true;
        break;
      case 'b':
        f.body = true;
        break;
      case 'n':
        f.noNew = true;
        break;
      default:
        throw b2bErrors.flags(fn, str, `unknown flag "${c}"`);
    }
  }
  return f;
}

export type UaEventType = 'NEW' | 'EARLY' | 'ANSWERED' | 'REJECTED' | 'UPDATED' | 'TERMINATED';

class UaSession {
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly entity: Entity,
    readonly flags: UaFlags,
  ) {}
}

export interface ClientStartParams {
  ruri: string;
  to: string;
  from: string;
  proxy?: string;
  body?: string;
  content_type?: string;
  extra_headers?: string;
  flags?: string;
  socket?: string;
}

export class UaSessions {
  readonly #sessions = new Map<string, UaSession>();

  constructor(
    readonly engine: B2bEngine,
    readonly events: EventRegistry,
    readonly log: ModuleContext['log'],
    readonly defaultTimeout: number,
    readonly advertisedContact: string | undefined,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  has(key: string): boolean {
    return this.#sessions.has(key);
  }

  /** ua_session_server_init: the entity of this initial INVITE; NEW is raised unless flag n. */
  serverInit(ctx: RouteContext, flagStr: string | undefined, extraParams: string | undefined): string {
    const fn = 'ua_session_server_init';
    if (!ctx.msg.isRequest || ctx.msg.method !== 'INVITE') throw b2bErrors.method(fn, ctx.$rm, 'is not an initial INVITE');
    const flags = parseUaFlags(fn, flagStr, this.defaultTimeout);
    const e = this.engine.serverNew(fn, ctx, { notify: (i) => this.#onNotify(i), modName: UA_MOD_NAME, noAutoAck: flags.noAutoAck });
    const s = this.#add(e, flags);
    if (!flags.noNew) this.#raise(s, 'NEW', ctx.msg, 'INVITE', extraParams);
    return e.key;
  }

  /** ua_session_client_start (MI): the INVITE goes out now; returns the key. */
  clientStart(p: ClientStartParams): string {
    const fn = 'ua_session_client_start';
    const flags = parseUaFlags(fn, p.flags, this.defaultTimeout);
    const to = parseMiAddress(fn, p.to);
    const from = parseMiAddress(fn, p.from);
    const addr = (a: { dname: string; uri: string }) => (a.dname === '' ? a.uri : `"${a.dname}" <${a.uri}>`);
    const e = this.engine.clientNew(
      fn,
      {
        ruri: p.ruri,
        to: addr(to),
        from: addr(from),
        proxy: p.proxy,
        body: p.body,
        contentType: p.content_type,
        extraHeaders: p.extra_headers,
        socket: p.socket,
        localContact: this.advertisedContact,
      },
      { notify: (i) => this.#onNotify(i), modName: UA_MOD_NAME, noAutoAck: flags.noAutoAck },
    );
    this.#add(e, flags);
    return e.key;
  }

  update(fn: string, key: string, method: string, body?: string, extraHeaders?: string, contentType?: string): void {
    const s = this.#must(fn, key);
    sendRequest(this.engine, fn, s.entity, { method, body, extraHeaders, contentType });
  }

  reply(fn: string, key: string, method: string, code: number, reason?: string, body?: string, extraHeaders?: string, contentType?: string): void {
    const s = this.#must(fn, key);
    if (typeof method !== 'string' || method === '') throw b2bErrors.arg(fn, 'the method replied to is required');
    sendReply(this.engine, fn, s.entity, { method, code: Number(code), text: reason, body, extraHeaders, contentType });
    // A negative final reply to the initial INVITE ends the session.
    const e = s.entity;
    if (e.state === B2bState.TERMINATED && method.toUpperCase() === 'INVITE') this.#end(s);
  }

  /** ua_session_terminate: BYE once answered, CANCEL while our INVITE is pending, a 603 while theirs is. */
  terminate(fn: string, key: string, extraHeaders?: string): void {
    this.#terminate(fn, this.#must(fn, key), extraHeaders);
  }

  #terminate(fn: string, s: UaSession, extraHeaders?: string): void {
    const e = s.entity;
    if (e.state === B2bState.TERMINATED) return this.#end(s);
    if (e.isServer && !e.answered) {
      sendReply(this.engine, fn, e, { method: 'INVITE', code: 603, text: 'Declined', extraHeaders });
      return this.#end(s);
    }
    if (e.ackPending !== null) sendRequest(this.engine, fn, e, { method: 'ACK' });
    // The session ends on the BYE's final reply (or at once after a CANCEL's 487, see #onNotify).
    sendRequest(this.engine, fn, e, { method: 'BYE', extraHeaders });
  }

  list(key?: string): Entity[] {
    if (key !== undefined) return [this.#must('ua_session_list', key).entity];
    return [...this.#sessions.values()].map((s) => s.entity);
  }

  stop(): void {
    for (const s of this.#sessions.values()) if (s.timer !== null) clearTimeout(s.timer);
  }

  #must(fn: string, key: string): UaSession {
    if (typeof key !== 'string' || key === '') throw b2bErrors.arg(fn, 'a UA session key is required');
    const s = this.#sessions.get(key);
    if (s === undefined || s.entity.deleted) throw b2bErrors.unknownKey(fn, key);
    return s;
  }

  #add(e: Entity, flags: UaFlags, expiresAt = Date.now() + flags.timeout * 1000): UaSession {
    const s = new UaSession(e, flags);
    this.#sessions.set(e.key, s);
    e.ownerData = { ua: { flags, expiresAt } };
    s.timer = setTimeout(() => this.#timeout(s), Math.max(0, expiresAt - Date.now()));
    s.timer.unref();
    return s;
  }

  /** A UA session's entity loaded from storage: the session resumes with its flags and its timeout; false when it cannot. */
  restore(e: Entity, armTimer = true): boolean {
    const ua = (e.ownerData?.['ua'] ?? undefined) as { flags?: UaFlags; expiresAt?: number } | undefined;
    if (ua?.flags === undefined || (armTimer && e.state < B2bState.CONFIRMED)) return false;
    e.notify = (i) => this.#onNotify(i);
    const s = this.#add(e, ua.flags, ua.expiresAt ?? Date.now() + ua.flags.timeout * 1000);
    if (!armTimer && s.timer !== null) {
      // A replica: its timeout is the node's that handles the dialog; armed here once requests come here.
      clearTimeout(s.timer);
      s.timer = null;
    }
    return true;
  }

  /** Another node deleted the session: it ends here without a word on the wire. */
  dropReplicated(key: string): void {
    const s = this.#sessions.get(key);
    if (s !== undefined) this.#end(s);
  }

  #timeout(s: UaSession): void {
    s.timer = null;
    if (s.entity.deleted) return;
    this.log.info({ key: s.entity.key }, 'UA session timed out: terminating');
    try {
      this.#terminate('ua_session timeout', s);
    } catch (err) {
      this.log.warn({ err, key: s.entity.key }, 'UA session timeout: could not terminate');
      this.#end(s);
    }
  }

  #end(s: UaSession): void {
    if (s.timer !== null) clearTimeout(s.timer);
    s.timer = null;
    this.#sessions.delete(s.entity.key);
    this.engine.delete(s.entity);
  }

  #onNotify(i: B2bNotifyInfo): void {
    const s = this.#sessions.get(i.key);
    if (s === undefined) return;
    const e = s.entity;
    if (s.timer === null) {
      // A replicated session taken over: this node now owns its timeout.
      const exp = ((e.ownerData?.['ua'] ?? {}) as { expiresAt?: number }).expiresAt ?? Date.now() + s.flags.timeout * 1000;
      s.timer = setTimeout(() => this.#timeout(s), Math.max(0, exp - Date.now()));
      s.timer.unref();
    }
    if (i.type === B2B_REPLY) {
      if (s.flags.replies && i.code > 100) this.#raise(s, i.code < 200 ? 'EARLY' : i.code < 300 ? 'ANSWERED' : 'REJECTED', i.msg, i.method, undefined, i.code, i.reason);
      if (i.code >= 200 && (i.method === 'BYE' || (i.method === 'INVITE' && e.state === B2bState.TERMINATED))) this.#end(s);
      return;
    }
    switch (i.method) {
      case 'ACK':
        if (s.flags.ack) this.#raise(s, 'UPDATED', i.msg, 'ACK');
        return;
      case 'BYE':
        sendReply(this.engine, 'ua_session', e, { method: 'BYE', code: 200, text: 'OK' });
        this.#raise(s, 'TERMINATED', i.msg, 'BYE');
        return this.#end(s);
      case 'CANCEL':
        this.#raise(s, 'TERMINATED', i.msg, 'CANCEL');
        return this.#end(s);
      default:
        this.#raise(s, 'UPDATED', i.msg, i.method);
    }
  }

  #raise(s: UaSession, type: UaEventType, msg: SipMessage | undefined, method: string, extraParams?: string, status?: number, reason?: string): void {
    const f = s.flags;
    this.events.raise(UA_EVENT, {
      key: s.entity.key,
      entity_type: s.entity.type === B2B_SERVER ? 'UAS' : 'UAC',
      event_type: type,
      status: status ?? null,
      reason: reason ?? null,
      method,
      body: f.body && msg !== undefined && msg.body.length > 0 ? msg.body.toString('utf8') : null,
      headers: f.headers && msg !== undefined ? headerSection(msg.raw, msg.headersStart, msg.headersEnd) : null,
      extra_params: extraParams ?? null,
    });
  }
}
