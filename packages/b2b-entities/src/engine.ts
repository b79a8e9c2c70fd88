/**
 * The entity store and its owners: creates server and client entities, finds them by key, tells their
 * owner what arrives in them (through script_req_route / script_reply_route first when set) and deletes
 * them when the owner says so. Sending lives in uac-side.ts / uas-side.ts, receiving in in-dialog.ts.
 */
import type { CoreServices, ModuleContext, ListenSocket, ReceiveInfo, RouteContext, SipMessage } from '@core/sip';
import type { TmApi } from '@mod/tm';
import type { UacAuthApi } from '@mod/uac-auth';
import type { B2bAddDlgInfo, B2bClientInfo, B2bDlgInfo, B2bNotifyInfo, B2bOwner } from './api.js';
import { Entity } from './entity.js';
import { b2bErrors } from './errors.js';
import { KeyMaker } from './key.js';
import { B2B_CLIENT, B2B_REPLY, B2B_SERVER, B2bState, DB_FLAG, type B2bEntityType } from './state.js';
import { EntityTable, Tables } from './table.js';
import { parseAddress, socketContact } from './sip-util.js';
import { generateTag } from '@core/sip';
import { startClientInvite } from './uac-side.js';

export interface EngineConfig {
  serverHsize: number;
  clientHsize: number;
  keyPrefix: string;
  scriptReqRoute: string | undefined;
  scriptReplyRoute: string | undefined;
  passthruPrack: boolean;
}

/** Storage hooks (db_mode / cachedb / cluster): told of every change and delete. */
export interface EntitySink {
  changed(e: Entity): void;
  deleted(e: Entity): void;
}

export class B2bEngine {
  readonly tables: Tables;
  readonly keys: KeyMaker;
  /** Server entities whose initial INVITE is not finally answered: `callid|from-tag` → entity (CANCEL, retransmissions). */
  readonly early = new Map<string, Entity>();
  readonly sinks: EntitySink[] = [];
  /** uac_auth, when loaded: answers 401/407 to our requests once. */
  uacAuth: UacAuthApi | undefined = undefined;
  readonly restoredCbs: ((et: B2bEntityType, key: string, modName: string, logicKey: string) => void)[] = [];

  constructor(
    readonly cfg: EngineConfig,
    readonly tm: TmApi,
    readonly core: CoreServices,
    readonly log: ModuleContext['log'],
  ) {
    this.tables = new Tables(new EntityTable(cfg.serverHsize), new EntityTable(cfg.clientHsize));
    this.keys = new KeyMaker(cfg.keyPrefix);
  }

  // ---- lookup -------------------------------------------------------------------------------

  get(et: B2bEntityType, key: string): Entity | undefined {
    const h = this.keys.hashIndexOf(key);
    return h < 0 ? undefined : this.tables.of(et).get(key, h);
  }

  /** The entity, or a B2bError naming the call; with dlginfo, its ids must match too. */
  must(fn: string, et: B2bEntityType, key: string, dlginfo?: B2bDlgInfo): Entity {
    const e = this.get(et, key);
    if (e === undefined || e.deleted) throw b2bErrors.unknownKey(fn, key);
    if (dlginfo !== undefined && (dlginfo.callid !== e.callid || dlginfo.fromTag !== e.fromTag || (dlginfo.toTag !== '' && dlginfo.toTag !== e.toTag))) {
      throw b2bErrors.state(fn, key, 'does not match the dialog info given (Call-ID / tags)');
    }
    return e;
  }

  /** Either type (ua_session_* take a key only). */
  find(key: string): Entity | undefined {
    return this.get(B2B_SERVER, key) ?? this.get(B2B_CLIENT, key);
  }

  static earlyKey(callid: string, fromTag: string): string {
    return `${callid}|${fromTag}`;
  }

  // ---- create -------------------------------------------------------------------------------

  /** b2b_server_new: an entity for the initial request in `ctx`, its server transaction created now. */
  serverNew(fn: string, ctx: RouteContext, owner: B2bOwner, localContact?: string): Entity {
    const msg = ctx.msg;
    if (!msg.isRequest) throw b2bErrors.notInit(fn, 'needs a request');
    if (msg.method === 'ACK' || msg.method === 'CANCEL') throw b2bErrors.method(fn, msg.method, 'cannot start a dialog');
    if (msg.to.tag !== undefined) throw b2bErrors.notInit(fn, 'needs an initial request (this one has a To-tag)');
    // A retransmission of an INVITE we answered already (its entity established or gone): tm sends the
    // reply again and the script ends here, as t_newtran does (RFC 3261 17.2.1).
    ctx.t_check_trans();
    const ek = B2bEngine.earlyKey(msg.callId, msg.from.tag ?? '');
    if (this.early.has(ek)) throw b2bErrors.notInit(fn, `Call-ID "${msg.callId}" already has a server entity`);
    if (!this.tm.newTransaction(ctx)) throw b2bErrors.notInit(fn, 'the transaction could not be created (a retransmission or a broken request)');
    const t = this.tm.getTransaction(ctx);
    if (t === undefined) throw b2bErrors.notInit(fn, 'tm has no transaction for the request');
    const table = this.tables.server;
    const hashIndex = table.hashIndex(msg.callId);
    const key = this.keys.make(hashIndex);
    const remoteContact = msg.contacts[0]?.uri.toString() ?? '';
    const e = new Entity({
      type: B2B_SERVER,
      key,
      hashIndex,
      callid: msg.callId,
      fromUri: msg.from.uri.toString(),
      fromDname: msg.from.displayName ?? '',
      fromTag: msg.from.tag ?? '',
      toUri: msg.to.uri.toString(),
      toDname: msg.to.displayName ?? '',
      toTag: key,
      ruri: msg.ruri,
      cseqCaller: msg.cseq.seq,
      cseqCallee: 0,
      contactCaller: remoteContact,
      contactCallee: localContact ?? socketContact(ctx.rinfo.socket),
      // A UAS keeps the Record-Route set in order (RFC 3261 12.1.1).
      routeSet: msg.recordRoutes.map((r) => r.raw),
      remoteTarget: remoteContact !== '' ? remoteContact : msg.from.uri.toString(),
      sendSock: ctx.rinfo.socket.name,
      modName: owner.modName,
      logicKey: owner.logicKey ?? '',
    });
    this.#own(e, owner);
    e.lastMethod = msg.method;
    if (msg.method === 'INVITE') e.lastInviteCseq = msg.cseq.seq;
    e.uas.set(msg.method, t);
    table.add(e);
    this.early.set(ek, e);
    ctx.replied = true;
    this.changed(e);
    return e;
  }

  /** b2b_client_new: an entity whose initial request goes out now. */
  clientNew(fn: string, info: B2bClientInfo, owner: B2bOwner & { addDlgInfo?: B2bAddDlgInfo }): Entity {
    const method = (info.method ?? 'INVITE').toUpperCase();
    if (method !== 'INVITE') throw b2bErrors.method(fn, method, 'is not supported for client entities (INVITE only)');
    const from = parseAddress(fn, info.from);
    const to = parseAddress(fn, info.to);
    if (!/^sips?:/i.test(info.ruri)) throw b2bErrors.arg(fn, `R-URI "${info.ruri}" is not a SIP URI`);
    const sock = this.socket(fn, info.socket);
    const table = this.tables.client;
    const hashIndex = table.hashIndex(`${info.ruri}|${info.to}|${process.hrtime.bigint()}`);
    const key = this.keys.make(hashIndex);
    const e = new Entity({
      type: B2B_CLIENT,
      key,
      hashIndex,
      callid: key,
      fromUri: from.uri,
      fromDname: from.dname,
      fromTag: generateTag(),
      toUri: to.uri,
      toDname: to.dname,
      toTag: '',
      ruri: info.ruri,
      cseqCaller: 0,
      cseqCallee: 0,
      contactCaller: info.localContact ?? socketContact(sock),
      contactCallee: '',
      routeSet: [],
      remoteTarget: info.ruri,
      sendSock: sock.name,
      modName: owner.modName,
      logicKey: owner.logicKey ?? '',
    });
    this.#own(e, owner);
    e.addDlgInfo = owner.addDlgInfo;
    table.add(e);
    startClientInvite(this, e, info);
    this.changed(e);
    return e;
  }

  #own(e: Entity, owner: B2bOwner): void {
    e.notify = owner.notify;
    e.param = owner.param;
    e.free = owner.free;
    e.autoAck = owner.noAutoAck !== true;
  }

  socket(fn: string, name: string | undefined): ListenSocket {
    const socks = this.core.transport.sockets;
    if (name === undefined || name === '') {
      const s = socks.find((x) => x.proto === 'udp') ?? socks[0];
      if (s === undefined) throw b2bErrors.arg(fn, 'no listen socket');
      return s;
    }
    const s = socks.find((x) => x.name === name);
    if (s === undefined) throw b2bErrors.arg(fn, `socket "${name}" is not one of ours (${socks.map((x) => x.name).join(', ')})`);
    return s;
  }

  // ---- delete -------------------------------------------------------------------------------

  /** b2b_entity_delete: pending requests answered (500) or cancelled, then gone. */
  delete(e: Entity): void {
    if (e.deleted) return;
    e.deleted = true;
    if (e.retryTimer !== null) clearTimeout(e.retryTimer);
    e.retryTimer = null;
    if (e.reliableOut?.timer != null) clearTimeout(e.reliableOut.timer);
    e.reliableOut = null;
    for (const [m, t] of e.uas) {
      if (t.status < 200) this.tm.replyTransaction(t, m === 'INVITE' && e.state < B2bState.CONFIRMED ? 480 : 500, undefined, { toTag: e.localTag });
    }
    e.uas.clear();
    for (const p of e.uac.values()) if (p.method === 'INVITE') p.handle.cancel();
    e.uac.clear();
    this.tables.of(e.type).remove(e);
    if (e.isServer) {
      const ek = B2bEngine.earlyKey(e.callid, e.fromTag);
      if (this.early.get(ek) === e) this.early.delete(ek);
    }
    e.state = B2bState.DESTROYED;
    for (const s of this.sinks) s.deleted(e);
    try {
      e.free?.(e.param);
    } catch (err) {
      this.log.error({ err, key: e.key }, 'b2b param free callback failed');
    }
  }

  changed(e: Entity): void {
    if (e.dbFlag === DB_FLAG.NO_UPDATE) e.dbFlag = DB_FLAG.UPDATE;
    for (const s of this.sinks) s.changed(e);
  }

  // ---- notify the owner ---------------------------------------------------------------------

  /**
   * Tells the owner; a request goes through script_req_route first (drop() there keeps it from the owner),
   * a reply through script_reply_route.
   */
  deliver(e: Entity, info: B2bNotifyInfo, ctx: RouteContext | undefined): void {
    const routeName = info.type === B2B_REPLY ? this.cfg.scriptReplyRoute : this.cfg.scriptReqRoute;
    const route = routeName === undefined ? undefined : this.core.routes.route?.[routeName];
    if (route === undefined || ctx === undefined) return this.#notify(e, info);
    this.core.runRoute(route, ctx).then(
      (ok) => {
        if (ok) this.#notify(e, info);
      },
      (err: unknown) => this.log.error({ err, key: e.key, route: routeName }, 'b2b script route failed'),
    );
  }

  #notify(e: Entity, info: B2bNotifyInfo): void {
    if (e.deleted || e.notify === undefined) return;
    try {
      e.notify(info);
    } catch (err) {
      this.log.error({ err, key: e.key, method: info.method, code: info.code }, 'b2b notify callback failed');
    }
  }

  /** A route context for a reply that tm handed over (script_reply_route), as if received on the entity's socket. */
  replyContext(e: Entity, msg: SipMessage): RouteContext {
    const socket = this.socket('script_reply_route', e.sendSock);
    const rinfo: ReceiveInfo = { proto: socket.proto, srcAddress: socket.address, srcPort: socket.port, socket };
    return this.core.createContext('onreply', msg, rinfo);
  }

  *all(): IterableIterator<Entity> {
    yield* this.tables.server.all();
    yield* this.tables.client.all();
  }
}
