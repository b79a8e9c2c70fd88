/**
 * RedisCacheDb: the cachedb API (`cachedb_url`) on ioredis, for one Redis or a Redis Cluster.
 *
 * Outages: ioredis reconnects with backoff; our own gate holds every operation issued while Redis is
 * unreachable and sends it after the reconnect, within `query_timeout`. ioredis's offline queue is off
 * so an operation that timed out is never sent later behind the caller's back, and in-flight commands
 * are not resent blindly: when the connection closes we fail them ourselves (ioredis would drop them
 * silently until their timeout), idempotent ones are retried here, and a counter whose reply was lost is
 * reported as uncertain rather than counted twice. In cluster mode ioredis resends a node's in-flight
 * commands itself after a node reconnects (a counter there may count twice on a mid-flight node loss).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { CacheDb } from '@core/sip';
import { COUNTER_LUA, COUNTER_SHA, isNoScript } from './counter.js';
import { errors, RedisError } from './errors.js';
import { connectionLoss, isAuthError } from './failures.js';
import { escapeGlob } from './glob.js';
import { standaloneLogger as defaultLog, type DriverLog } from '@core/sip';
import { DEFAULT_REDIS_OPTIONS, type RedisCacheOptions } from './options.js';
import { parseRedisUrl, type RedisUrl } from './url.js';

type Client = Redis | Cluster;
/** Arguments the raw command escape hatch accepts. */
export type RedisArg = string | number | Buffer;

const SCAN_COUNT = 1000;
const MGET_BATCH = 500;

/** Reconnect delays: 50 ms doubling to 2 s, so a restarted Redis is found again quickly. */
const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times - 1, 10), 2_000);

function buildClient(u: RedisUrl, o: RedisCacheOptions): Client {
  const common: RedisOptions = {
    ...(u.username !== undefined ? { username: u.username } : {}),
    ...(u.password !== undefined ? { password: u.password } : {}),
    ...(u.tls ? { tls: {} } : {}),
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.queryTimeoutMs,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: u.cluster,
    maxRetriesPerRequest: null,
    retryStrategy,
  };
  if (u.cluster) {
    return new Cluster(u.nodes, {
      redisOptions: common,
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
    });
  }
  const node = u.nodes[0]!;
  return new Redis({ ...common, host: node.host, port: node.port, db: u.db });
}

export class RedisCacheDb implements CacheDb {
  readonly url: string;
  private readonly log: DriverLog;
  private closed = false;
  private down = false;
  private downSince = 0;
  private everReady = false;
  private errorLogged = false;
  private lastError: unknown;
  private readonly readyWaiters = new Set<() => void>();
  /** Rejecters of the commands on the wire, failed by us when the connection closes. */
  private readonly inflight = new Set<(err: Error) => void>();

  private constructor(
    private readonly client: Client,
    maskedUrl: string,
    private readonly opts: RedisCacheOptions,
  ) {
    this.url = maskedUrl;
    this.log = opts.log ?? defaultLog('cachedb_redis');
    client.on('error', (err: unknown) => this.onError(err));
    client.on('close', () => this.onClose());
    client.on('ready', () => this.onReady());
  }

  /**
   * Connects to `url`. Wrong credentials and malformed URLs always fail here; an unreachable Redis fails
   * when `shutdownOnError` is set, else it is logged and the handle keeps reconnecting in the background.
   */
  static async open(url: string, options: Partial<RedisCacheOptions> = {}): Promise<RedisCacheDb> {
    const target = parseRedisUrl(url);
    const opts: RedisCacheOptions = { ...DEFAULT_REDIS_OPTIONS, ...options };
    const client = buildClient(target, opts);
    // ioredis rejects connect() with a generic "Connection is closed."; the reason arrives as an event.
    let firstError: unknown;
    const capture = (err: unknown): void => {
      firstError ??= err;
    };
    client.on('error', capture);
    const db = new RedisCacheDb(client, target.masked, opts);
    try {
      await client.connect();
      // A ready check that passed without credentials still leaves AUTH-protected commands refused.
      await client.ping();
    } catch (err) {
      const cause = firstError ?? err;
      if (isAuthError(cause) || opts.shutdownOnError) {
        db.closed = true;
        client.disconnect();
        throw errors.connect(target.masked, cause);
      }
      // Unreachable at start: OpenSIPS without shutdown_on_error starts anyway and reconnects.
    } finally {
      client.off('error', capture);
    }
    return db;
  }

  async get(key: string): Promise<string | null> {
    return this.exec(`get of key "${key}"`, true, () => this.client.get(key));
  }

  async set(key: string, value: string, expiresSec?: number): Promise<void> {
    await this.exec(`set of key "${key}"`, true, () =>
      expiresSec !== undefined && expiresSec > 0 ? this.client.set(key, value, 'EX', expiresSec) : this.client.set(key, value),
    );
  }

  async remove(key: string): Promise<void> {
    await this.exec(`remove of key "${key}"`, true, () => this.client.del(key));
  }

  add(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.counter(key, delta, expiresSec, 'add');
  }

  sub(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.counter(key, -delta, expiresSec, 'sub');
  }

  async getCounter(key: string): Promise<number | null> {
    const v = await this.get(key);
    if (v === null) return null;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw errors.query(`getCounter of key "${key}"`, new Error(`value "${v}" is not a counter`));
    return n;
  }

  async getByPrefix(prefix: string): Promise<Map<string, string>> {
    return this.exec(`getByPrefix "${prefix}"`, true, async () => {
      const pattern = `${escapeGlob(prefix)}*`;
      // A cluster spreads keys over its masters: scan each one.
      const nodes: Redis[] = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
      const keys = new Set<string>();
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
          for (const k of batch) keys.add(k);
          cursor = next;
        } while (cursor !== '0');
      }
      const list = [...keys];
      const out = new Map<string, string>();
      // MGET answers nil for keys that expired meanwhile or hold another type; a cluster needs one slot
      // per MGET, so there it is one key per call (ioredis pipelines them per node).
      if (this.client instanceof Cluster) {
        const cluster = this.client;
        const values = await Promise.all(list.map((k) => cluster.mget(k)));
        values.forEach((v, i) => {
          const value = v[0];
          if (value !== null && value !== undefined) out.set(list[i]!, value);
        });
      } else {
        for (let i = 0; i < list.length; i += MGET_BATCH) {
          const chunk = list.slice(i, i + MGET_BATCH);
          const values = await this.client.mget(chunk);
          values.forEach((v, j) => {
            if (v !== null) out.set(chunk[j]!, v);
          });
        }
      }
      return out;
    });
  }

  /**
   * The raw escape hatch (OpenSIPS `cache_raw_query`): any Redis command, its reply as ioredis gives it.
   * Treated as not idempotent: a reply lost to a dropped connection is reported, not retried.
   */
  async command(name: string, ...args: RedisArg[]): Promise<unknown> {
    return this.exec(`command ${name}`, false, () => this.client.call(name, args));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.readyWaiters) wake();
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  private async counter(key: string, delta: number, expiresSec: number | undefined, op: 'add' | 'sub'): Promise<number> {
    const what = `${op} on counter "${key}"`;
    if (!Number.isSafeInteger(delta)) throw errors.query(what, new RangeError(`delta ${delta} is not an integer`));
    const ttl = expiresSec !== undefined && expiresSec > 0 ? Math.ceil(expiresSec) : 0;
    const value = await this.exec(what, false, async () => {
      if (ttl === 0) return this.client.incrby(key, delta);
      try {
        return await this.client.evalsha(COUNTER_SHA, 1, key, delta, ttl);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return this.client.eval(COUNTER_LUA, 1, key, delta, ttl);
      }
    });
    return Number(value);
  }

  /**
   * Runs one operation under the outage policy: wait (within query_timeout) for Redis to be ready, send,
   * and on a dropped connection wait and send again when that is safe (`idempotent`, or never sent).
   */
  private async exec<T>(what: string, idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let lastErr: unknown;
    for (;;) {
      if (this.closed) throw errors.closed(this.url);
      if (this.client.status !== 'ready') {
        const ready = await this.waitReady(this.opts.queryTimeoutMs - (Date.now() - started));
        if (this.closed) throw errors.closed(this.url);
        if (!ready) throw errors.unavailable(this.url, what, Date.now() - started, lastErr ?? this.lastError);
      }
      try {
        return await this.onWire(fn);
      } catch (err) {
        if (err instanceof RedisError) throw err;
        if (err instanceof Error && err.message === 'Command timed out') {
          throw errors.unavailable(this.url, what, Date.now() - started, err);
        }
        const loss = connectionLoss(err);
        if (loss === undefined) throw errors.query(what, err);
        if (loss === 'lost' && !idempotent) throw errors.uncertain(this.url, what, err);
        lastErr = err;
        if (Date.now() - started >= this.opts.queryTimeoutMs) throw errors.unavailable(this.url, what, Date.now() - started, err);
        // The status may still read "ready" for a moment after the socket broke: do not spin.
        if (this.client.status === 'ready') await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /** Sends one command; settles with it, or with "Connection is closed." if the connection drops first. */
  private onWire<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const lost = (err: Error): void => {
        this.inflight.delete(lost);
        reject(err);
      };
      this.inflight.add(lost);
      fn().then(
        (v) => {
          this.inflight.delete(lost);
          resolve(v);
        },
        (e: unknown) => {
          this.inflight.delete(lost);
          reject(e);
        },
      );
    });
  }

  private waitReady(maxMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    if (maxMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(this.client.status === 'ready' && !this.closed);
      };
      const timer = setTimeout(done, maxMs);
      this.readyWaiters.add(done);
    });
  }

  private onReady(): void {
    // Load the counter script before the held commands go out (same connection, so in order): a
    // restarted Redis has an empty script cache, and the NOSCRIPT fallback would reorder counters.
    if (this.client instanceof Redis) this.client.script('LOAD', COUNTER_LUA).catch(() => undefined);
    if (this.down) {
      this.log.info({ url: this.url, downMs: Date.now() - this.downSince }, 'cachedb_redis: reconnected to redis');
    }
    this.down = false;
    this.everReady = true;
    this.errorLogged = false;
    // Waiters resume in arrival order.
    for (const wake of [...this.readyWaiters]) wake();
  }

  private onClose(): void {
    if (this.inflight.size > 0) {
      const lost = new Error('Connection is closed.');
      for (const reject of [...this.inflight]) reject(lost);
    }
    if (this.closed || this.down) return;
    this.down = true;
    this.downSince = Date.now();
    if (this.everReady) {
      this.log.error({ url: this.url }, 'cachedb_redis: connection to redis lost; holding commands and reconnecting');
    }
  }

  /** One line per outage for the cause (ioredis repeats the error on every reconnect attempt). */
  private onError(err: unknown): void {
    this.lastError = err;
    if (this.errorLogged || this.closed) return;
    this.errorLogged = true;
    this.log.error({ err, url: this.url }, 'cachedb_redis: redis connection error');
  }
}
