/**
 * The composition root: binds the listen sockets, loads the modules, arms the routes, serves MI, and runs
 * every received message through the pipeline in `receive.ts`.
 */
import type { Logger } from 'pino';
import { createLogger, type LogControl } from '../log.js';
import { Stats } from '../stats/registry.js';
import { registerCoreStats, type CoreStats } from '../stats/core-stats.js';
import { registerProcessStats } from '../stats/process-stats.js';
import { LogLimiter } from '../log-limit.js';
import { Events } from '../events/registry.js';
import { MiRegistryImpl } from '../mi/registry.js';
import { startMiHttp } from '../mi/http.js';
import { registerCoreMi } from '../mi/core-commands.js';
import { createPrometheus } from '../stats/prometheus.js';
import { ModuleLoader } from '../module/loader.js';
import { TransportLayer } from '../transport/transport-layer.js';
import { parseListen } from '../transport/listen.js';
import type { ListenSocket, ReceiveInfo, SendTarget } from '../transport/types.js';
import type { SipMessage } from '../message/message.js';
import { parseMessage } from '../message/parse.js';
import type { SipUri } from '../uri/uri.js';
import { RouteContext } from '../script/context.js';
import type { ScriptHost } from '../script/host.js';
import type { RouteTable } from '../script/routes.js';
import type { RouteType } from '../module/types.js';
import { TsipsError } from '../errors.js';
import type { ServerConfig } from './config.js';
import type { CoreServices } from './types.js';
import { CoreHooks } from './hooks.js';
import { Blacklists } from './blacklist.js';
import { Myself } from './myself.js';
import { runRoute } from './run-route.js';
import { Receiver } from './receive.js';
import { StatelessReplier } from './sl.js';
import { StatelessForwarder } from './forward.js';
import { Faults } from './faults.js';
import { bindScriptFunctions } from './bind-functions.js';
import { rewriteUri } from './rewrite-uri.js';
import { VERSION } from '../version.js';

/** The dummy request event routes run on (OpenSIPS does the same): nothing in it is a real message. */
const EVENT_REQUEST_TEXT =
  'OPTIONS sip:event@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKevent\r\nFrom: <sip:event@127.0.0.1>;tag=event\r\n' +
  'To: <sip:event@127.0.0.1>\r\nCall-ID: event-route\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
let EVENT_REQUEST: SipMessage | undefined;

export class SipServer implements ScriptHost {
  readonly log: Logger;
  readonly logControl: LogControl;
  readonly scriptLog: Logger;
  readonly stats = new Stats();
  readonly coreStats: CoreStats;
  /** Rate limits of the log lines a peer can trigger (see log-limit.ts). */
  readonly logLimit: LogLimiter;
  /** Errors caught at a boundary, and those the process net caught: logged and counted. */
  readonly faults: Faults;
  readonly events: Events;
  readonly mi: MiRegistryImpl;
  readonly hooks = new CoreHooks();
  readonly transport: TransportLayer;
  readonly loader: ModuleLoader;
  readonly routes: RouteTable;
  readonly startedAt = new Date();
  /** The route context class of this server: RouteContext plus the module script functions. */
  Context: new (host: ScriptHost, t: RouteType, m: SipMessage, r: ReceiveInfo) => RouteContext = RouteContext;

  #config: ServerConfig;
  #myself: Myself | null = null;
  #slotCount = 0;
  #slotsSealed = false;
  #flagBits = new Map<string, number>();
  #receiver: Receiver;
  #sl: StatelessReplier;
  #fwd: StatelessForwarder;
  #mi: { port: number; close(): Promise<void> } | null = null;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  readonly core: CoreServices;
  readonly blacklists: Blacklists;

  constructor(config: ServerConfig) {
    this.#config = config;
    this.routes = config.routes;
    const { root, control } = createLogger({ level: config.log?.level, format: config.log?.format, destination: config.log?.destination });
    this.log = root;
    this.logControl = control;
    this.scriptLog = this.logControl.child('script');
    this.mi = new MiRegistryImpl(this.logControl.child('mi'));
    this.coreStats = registerCoreStats(this.stats);
    registerProcessStats(this.stats);
    this.logLimit = new LogLimiter(config.log?.linesPerSecond);
    this.faults = new Faults(this.log, this.logLimit, this.coreStats.internal_errors, this.coreStats.unhandled_errors);
    this.events = new Events(this.logControl.child('events'), (event, err) => this.faults.caught('event handler', err, null, { event }));
    (config.flags ?? []).forEach((f, i) => this.#flagBits.set(f, i));
    this.blacklists = new Blacklists(config.dst_blacklist);
    const listen = config.listen.map((l) => (typeof l === 'string' ? parseListen(l) : l));
    if (listen.length === 0) throw new TsipsError('E_CONFIG', 'config: "listen" declares no socket');
    this.#receiver = new Receiver(this);
    this.transport = new TransportLayer({
      listen,
      tls: config.tls,
      limits: config.limits,
      log: this.logControl.child('transport'),
      logLimit: this.logLimit,
      onMessage: (data, rinfo) => this.#receiver.receive(data, rinfo),
      onConnectionClose: (closed) => {
        for (const h of this.hooks.connectionClose) {
          try {
            h(closed);
          } catch (err) {
            this.faults.caught('connection close hook', err, null, { connId: closed.id });
          }
        }
      },
    });
    this.#sl = new StatelessReplier(this);
    this.#fwd = new StatelessForwarder(this);
    this.core = {
      log: this.log,
      transport: this.transport,
      hooks: this.hooks,
      stats: this.coreStats,
      routes: this.routes,
      serverHeader: config.serverHeader ?? `tsips (${VERSION})`,
      disableDnsFailover: config.disable_dns_failover === true,
      createContext: (t, m, r) => new this.Context(this, t, m, r),
      runRoute: (h, ctx) => runRoute(this, h, ctx),
      isMyself: (h, p) => this.isMyself(h, p),
      caught: (what, err, msg, fields) => this.faults.caught(what, err, msg, fields),
      registerSlot: () => {
        if (this.#slotsSealed) throw new TsipsError('E_SLOT_AFTER_START', 'per-message slots can only be registered during init');
        return this.#slotCount++;
      },
    };
    this.loader = new ModuleLoader({
      modules: config.modules ?? [],
      modparams: config.modparams,
      log: this.log,
      logControl: this.logControl,
      stats: this.stats,
      events: this.events,
      mi: this.mi,
      core: this.core,
      initTimeoutMs: config.initTimeoutMs,
      stopTimeoutMs: config.stopTimeoutMs,
    });
  }

  get sockets(): readonly ListenSocket[] {
    return this.transport.sockets;
  }
  get miPort(): number | undefined {
    return this.#mi?.port;
  }
  get config(): ServerConfig {
    return this.#config;
  }
  get ready(): boolean {
    return this.#state === 'running';
  }

  /** Binds sockets, initialises and starts the modules, arms the routes, serves MI. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TsipsError('E_CONFIG', 'server already started');
    const t0 = performance.now();
    await this.transport.start();
    try {
      this.#myself = new Myself(this.transport.sockets, this.#config.aliases ?? []);
      registerCoreMi(this.mi, {
        version: VERSION,
        startedAt: this.startedAt,
        stats: this.stats,
        log: this.logControl,
        modules: () => this.loader.modules().map((m) => ({ name: m.name, version: m.version })),
      });
      await this.loader.init();
      this.#slotsSealed = true;
      this.Context = bindScriptFunctions(this.loader.functions());
      this.#subscribeEventRoutes();
      await this.loader.start();
      if (this.#config.mi !== false) {
        const mi = this.#config.mi ?? {};
        this.#mi = await startMiHttp({
          host: mi.host ?? '127.0.0.1',
          port: mi.port ?? 8888,
          token: mi.token,
          mi: this.mi,
          metrics: createPrometheus(this.stats, { log: this.logControl.child('metrics') }).scrape,
          log: this.logControl.child('mi_http'),
        });
      }
      this.#state = 'running';
      await this.routes.startup_route?.();
    } catch (err) {
      await this.loader.stop().catch(() => undefined);
      await this.#mi?.close();
      await this.transport.stop();
      this.#state = 'stopped';
      throw err;
    }
    this.log.info({ sockets: this.transport.sockets.map((s) => s.name), mi: this.#mi?.port, ms: Math.round(performance.now() - t0) }, 'tsips started');
  }

  /** Stops modules in reverse order (they flush their state), then MI and the sockets. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
    await this.loader.stop();
    await this.#mi?.close();
    await this.transport.stop();
    this.#state = 'stopped';
    this.logLimit.flush();
    this.log.info('tsips stopped');
  }

  #subscribeEventRoutes(): void {
    for (const [name, handler] of Object.entries(this.routes.event_route ?? {})) {
      this.events.subscribe(name, (n, params) => handler(params, n, this.#eventContext()));
    }
  }

  /** A fresh event-route context per delivery, on the dummy request, received on the first socket. */
  #eventContext(): RouteContext {
    const socket = this.transport.sockets[0] as ListenSocket;
    EVENT_REQUEST ??= parseMessage(Buffer.from(EVENT_REQUEST_TEXT, 'latin1'));
    return new this.Context(this, 'event', EVENT_REQUEST, { proto: socket.proto, srcAddress: socket.address, srcPort: socket.port, socket });
  }

  // ---- ScriptHost ---------------------------------------------------------------------------

  newSlots(): unknown[] {
    // A literal grown by push stays a packed array; `new Array(n).fill()` calls into the runtime per message.
    const slots: unknown[] = [];
    for (let i = 0; i < this.#slotCount; i++) slots.push(undefined);
    return slots;
  }
  flagMask(flag: number | string): number {
    const bit = typeof flag === 'number' ? flag : this.#flagBits.get(flag);
    if (bit === undefined) throw new TsipsError('E_CONFIG', `flag "${String(flag)}" is not declared in config.flags`);
    if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new TsipsError('E_CONFIG', `flag ${bit} out of range 0-31`);
    return 1 << bit;
  }
  runNamedRoute(name: string, ctx: RouteContext): void | Promise<void> {
    const r = this.routes.route?.[name];
    if (!r) throw new TsipsError('E_CONFIG', `route "${name}" is not defined`);
    return r(ctx);
  }
  slReply(ctx: RouteContext, code: number, reason?: string, headers?: readonly [string, string][]): number {
    return this.#sl.reply(ctx, code, reason, headers);
  }
  forward(ctx: RouteContext, dest?: string): Promise<number> {
    return this.#fwd.forwardRequest(ctx, dest);
  }
  isMyself(host: string, port?: number): boolean {
    return this.#myself?.check(host, port) ?? false;
  }
  rewriteUri(uri: SipUri, change: { user?: string; host?: string; port?: number | undefined }): string {
    return rewriteUri(uri, change);
  }

  // ---- used by the pipeline ---------------------------------------------------------------------

  /** The stateless pieces, for the receive pipeline. */
  get sl(): StatelessReplier {
    return this.#sl;
  }
  get fwd(): StatelessForwarder {
    return this.#fwd;
  }
  /** Resolves to the TCP/TLS connection id used, undefined for UDP (CoreTransport.send). */
  send(target: SendTarget, data: Buffer): Promise<number | undefined> {
    return this.transport.send(target, data);
  }
}

/** Creates and starts a server from a config. */
export async function createServer(config: ServerConfig): Promise<SipServer> {
  const s = new SipServer(config);
  await s.start();
  return s;
}
