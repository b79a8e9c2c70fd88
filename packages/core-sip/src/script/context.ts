/**
 * The route context: the message a route is processing, and the script's view of it — the OpenSIPS
 * pseudo-variables (`$ru $du $rm $rU $rd $fu $tu $ci $si $sp $proto` …), message flags, branches and
 * the core script functions. Modules add their script functions (t_relay, create_dialog…) to a per-server
 * subclass, so `ctx.t_relay()` works and is typed by declaration merging:
 *
 * ```ts
 * declare module '@core/sip' { interface RouteContext { t_relay(flags?: number): Promise<number> } }
 * ```
 */
import type { RouteType } from '../module/types.js';
import type { SipMessage } from '../message/message.js';
import type { SipUri } from '../uri/uri.js';
import { parseUri } from '../uri/uri.js';
import type { ReceiveInfo } from '../transport/types.js';
import type { SipParseError } from '../message/parse-error.js';
import { safeCallId } from '../message/log-context.js';
import type { HeaderOp } from './header-ops.js';
import type { ScriptHost } from './host.js';
import { DROP, EXIT } from './exit.js';
import { TsipsError } from '../errors.js';

const NO_BLACKLISTS: readonly string[] = [];

/** A branch added with append_branch (the first branch is the R-URI itself). */
export interface Branch {
  uri: string;
  dstUri: string | null;
  q: number | undefined;
  flags: number;
}

export type AvpValue = string | number;

export class RouteContext {
  /** Which route is running. */
  routeType: RouteType;
  /** The message being processed: the request in request/failure/branch routes, the reply in onreply. */
  msg: SipMessage;
  /** Where the message came from (for local requests: the socket it goes out on). */
  readonly rinfo: ReceiveInfo;
  /** Message flags (`setflag`), as a bit set. */
  flags = 0;
  /** The parse error in `error_route`. */
  error: SipParseError | null = null;
  /** Set once a reply was sent for this request (statelessly or by tm). */
  replied = false;
  /** Set once the request was forwarded (statelessly or by tm). */
  forwarded = false;
  /** Set by `drop()`. */
  dropped = false;
  /** Header changes to apply to whatever is forwarded. */
  ops: HeaderOp[] = [];
  /** Extra branches for forking (append_branch). */
  branches: Branch[] = [];
  /** Per-message slots of modules (tm keeps the transaction here); sized by the server at start. */
  readonly slots: unknown[];
  /** Destination blacklists enabled for this message (`use_blacklist`), checked by tm before a branch goes out. */
  blacklists: readonly string[] = NO_BLACKLISTS;

  #newRuri: string | null = null;
  #uri: SipUri | null = null;
  #dstUri: string | null = null;
  #avps: Map<string, AvpValue[]> | null = null;

  constructor(
    readonly host: ScriptHost,
    routeType: RouteType,
    msg: SipMessage,
    rinfo: ReceiveInfo,
  ) {
    this.routeType = routeType;
    this.msg = msg;
    this.rinfo = rinfo;
    this.slots = host.newSlots();
  }

  // ---- pseudo-variables -------------------------------------------------------------------------

  /** `$ru`: the Request-URI, with script changes. */
  get $ru(): string {
    return this.#newRuri ?? this.msg.ruri;
  }
  set $ru(v: string) {
    this.#uri = parseUri(v); // reject a bad URI where it is set, not where it is sent
    this.#newRuri = v;
  }
  /** True once the script changed the R-URI. */
  get ruriChanged(): boolean {
    return this.#newRuri !== null;
  }
  /** The parsed `$ru`. */
  get ruri(): SipUri {
    if (this.#uri === null) this.#uri = this.#newRuri === null ? this.msg.uri : parseUri(this.#newRuri);
    return this.#uri;
  }
  /** `$rU`: user part of the R-URI. */
  get $rU(): string {
    return this.ruri.user ?? '';
  }
  set $rU(v: string) {
    this.$ru = this.host.rewriteUri(this.ruri, { user: v });
  }
  /** `$rd`: host part of the R-URI. */
  get $rd(): string {
    return this.ruri.host;
  }
  set $rd(v: string) {
    this.$ru = this.host.rewriteUri(this.ruri, { host: v });
  }
  /** `$rp`: port of the R-URI ('' when absent). */
  get $rp(): string {
    const p = this.ruri.port;
    return p === undefined ? '' : String(p);
  }
  /** `$du`: the destination URI (outbound proxy / next hop), '' when unset. */
  get $du(): string {
    return this.#dstUri ?? '';
  }
  set $du(v: string) {
    if (v === '') {
      this.#dstUri = null;
      return;
    }
    parseUri(v);
    this.#dstUri = v;
  }
  /** `$rm`: the method (of the request, or of the CSeq for a reply). */
  get $rm(): string {
    return this.msg.isRequest ? this.msg.method : this.msg.cseq.method;
  }
  /** `$fu`: From URI. */
  get $fu(): string {
    return this.msg.from.uri.toString();
  }
  /** `$tu`: To URI. */
  get $tu(): string {
    return this.msg.to.uri.toString();
  }
  /** `$ft` / `$tt`: From and To tags ('' when absent). */
  get $ft(): string {
    return this.msg.from.tag ?? '';
  }
  get $tt(): string {
    return this.msg.to.tag ?? '';
  }
  /** `$ci`: Call-ID. */
  get $ci(): string {
    return this.msg.callId;
  }
  /** `$cs`: CSeq number. */
  get $cs(): number {
    return this.msg.cseq.seq;
  }
  /** `$si` / `$sp`: source IP and port. */
  get $si(): string {
    return this.rinfo.srcAddress;
  }
  get $sp(): number {
    return this.rinfo.srcPort;
  }
  /** `$proto`: transport the message came on. */
  get $proto(): string {
    return this.rinfo.proto;
  }
  /** `$Ri` / `$Rp`: the local address and port it was received on. */
  get $Ri(): string {
    return this.rinfo.socket.address;
  }
  get $Rp(): number {
    return this.rinfo.socket.port;
  }
  /** `$rs` / `$rr`: status code and reason of a reply. */
  get $rs(): number {
    return this.msg.status;
  }
  get $rr(): string {
    return this.msg.reason;
  }
  /** `$ua`: User-Agent. */
  get $ua(): string {
    return this.msg.header('user-agent') ?? '';
  }
  /** `$hdr(name)`: first value of a header, undefined when absent. */
  hdr(name: string): string | undefined {
    return this.msg.header(name);
  }

  // ---- AVPs: per-message values that tm carries into the transaction ----------------------------

  /** `$avp(name)`: the newest value. */
  avp(name: string): AvpValue | undefined {
    return this.#avps?.get(name)?.[0];
  }
  /** `$avp(name) = v` pushes a value on top, as OpenSIPS does. */
  setAvp(name: string, value: AvpValue): void {
    this.#avps ??= new Map();
    const list = this.#avps.get(name);
    if (list) list.unshift(value);
    else this.#avps.set(name, [value]);
  }
  avps(name: string): readonly AvpValue[] {
    return this.#avps?.get(name) ?? [];
  }
  deleteAvp(name: string): void {
    this.#avps?.delete(name);
  }

  // ---- flags ------------------------------------------------------------------------------------

  /** `setflag(F)`: F is a bit number 0–31 or a flag name declared in the config. */
  setflag(flag: number | string): number {
    this.flags |= this.host.flagMask(flag);
    return 1;
  }
  resetflag(flag: number | string): number {
    this.flags &= ~this.host.flagMask(flag);
    return 1;
  }
  isflagset(flag: number | string): boolean {
    return (this.flags & this.host.flagMask(flag)) !== 0;
  }

  // ---- destination blacklists ---------------------------------------------------------------------

  /** `use_blacklist(name)`: branches of this request may not go to a destination on list `name`. */
  use_blacklist(name: string): number {
    if (!this.host.blacklists.has(name)) throw new TsipsError('E_CONFIG', `use_blacklist: no dst_blacklist named "${name}"`);
    if (!this.blacklists.includes(name)) this.blacklists = [...this.blacklists, name];
    return 1;
  }
  /** `unuse_blacklist(name)`: the list no longer applies to this request. */
  unuse_blacklist(name: string): number {
    if (!this.host.blacklists.has(name)) throw new TsipsError('E_CONFIG', `unuse_blacklist: no dst_blacklist named "${name}"`);
    this.blacklists = this.blacklists.filter((n) => n !== name);
    return 1;
  }
  /** True when the destination is on a list enabled for this request. */
  isBlacklisted(proto: 'udp' | 'tcp' | 'tls', address: string, port: number): boolean {
    return this.blacklists.length > 0 && this.host.blacklists.matches(this.blacklists, proto, address, port);
  }

  // ---- core functions ---------------------------------------------------------------------------

  /** `exit`: stop the script here. */
  exit(): never {
    throw EXIT;
  }
  /** `drop`: stop the script and do not relay (a reply is not relayed either). */
  drop(): never {
    this.dropped = true;
    throw DROP;
  }
  /** `route(NAME)`: run a named route. */
  route(name: string): void | Promise<void> {
    return this.host.runNamedRoute(name, this);
  }
  /** `sl_send_reply(code, reason)`: stateless reply to the current request. */
  sl_send_reply(code: number, reason?: string, headers?: readonly [string, string][]): number {
    return this.host.slReply(this, code, reason, headers);
  }
  /** `sl_reply_error()`: a reply describing the last internal error (500 when none is known). */
  sl_reply_error(): number {
    return this.host.slReply(this, 500, 'Server Internal Error');
  }
  /** `forward([dest])`: stateless forward to dest (`udp:host:port` or a SIP URI), else $du, else $ru. */
  forward(dest?: string): Promise<number> {
    return this.host.forward(this, dest);
  }
  /** `append_branch([uri[, q]])`: adds a branch; without a URI, the current $ru/$du become one. */
  append_branch(uri?: string, q?: number): number {
    if (uri !== undefined) parseUri(uri);
    this.branches.push({ uri: uri ?? this.$ru, dstUri: uri === undefined ? this.#dstUri : null, q, flags: 0 });
    return 1;
  }
  /** `is_method("INVITE|ACK")`. */
  is_method(methods: string): boolean {
    const m = this.$rm;
    if (methods.indexOf('|') < 0) return m === methods;
    return methods.split('|').includes(m);
  }
  /** `has_totag()`: an in-dialog request. */
  has_totag(): boolean {
    return this.msg.to.tag !== undefined;
  }
  /** `is_myself(host[, port])`: an address of this server (listen sockets and aliases). */
  is_myself(host: string, port?: number): boolean {
    return this.host.isMyself(host, port);
  }
  /** `uri == myself` for the R-URI. */
  ruri_is_myself(): boolean {
    const u = this.ruri;
    return this.host.isMyself(u.host, u.port);
  }
  /**
   * `mf_process_maxfwd_header(max)` (maxfwd module): adds Max-Forwards: max when absent, else decrements it.
   * Returns -1 when it was already 0 (the script should reply 483), 1 otherwise.
   */
  mf_process_maxfwd_header(max: number): number {
    const mf = this.msg.maxForwards;
    if (mf === undefined) {
      this.ops.push({ kind: 'add', name: 'Max-Forwards', value: String(max), where: 'bottom' });
      return 1;
    }
    if (mf === 0) return -1;
    this.ops.push({ kind: 'maxfwd', value: Math.min(mf, max) - 1 });
    return 1;
  }
  /** `append_hf("Name: value")`. */
  append_hf(header: string): number {
    const i = header.indexOf(':');
    if (i <= 0) throw new TypeError(`append_hf: "${header}" is not "Name: value"`);
    this.ops.push({
      kind: 'add',
      name: header.slice(0, i).trim(),
      value: header
        .slice(i + 1)
        .trim()
        .replace(/\r?\n$/, ''),
      where: 'bottom',
    });
    return 1;
  }
  /** `remove_hf("Name")`. */
  remove_hf(name: string): number {
    if (!this.msg.hasHeader(name)) return -1;
    this.ops.push({ kind: 'remove', name });
    return 1;
  }
  /** `is_present_hf("Name")`. */
  is_present_hf(name: string): boolean {
    return this.msg.hasHeader(name);
  }
  /** `xlog`: a log line at info (or the given level), tagged with the Call-ID (read safely: error_route logs broken messages). */
  xlog(text: string, level: 'error' | 'warn' | 'info' | 'debug' = 'info'): void {
    this.host.scriptLog[level]({ callId: safeCallId(this.msg) }, text);
  }
}
