/**
 * The in-memory cachedb (OpenSIPS cachedb_local), used when no `cachedb_url` is configured. Expired
 * keys are hidden as soon as their time passes (checked on every read) and freed by a periodic sweep,
 * whose timer is unref()ed so it never keeps the process alive. Counters are strings holding an integer,
 * as in redis; add/sub run without an await between read and write, so they are atomic.
 */
import { errors } from '../errors.js';
import type { CacheDb } from './types.js';

interface Entry {
  value: string;
  /** Epoch ms; 0 = never. */
  expiresAt: number;
}

export interface MemoryCacheDbOptions {
  url?: string;
  /** How often expired keys are freed; default 30 s. */
  sweepIntervalMs?: number;
  /** Clock, for the sweep and expiry checks. */
  now?: () => number;
}

export class MemoryCacheDb implements CacheDb {
  readonly url: string;
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: MemoryCacheDbOptions = {}) {
    this.url = opts.url ?? 'memory://';
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, expiresSec?: number): Promise<void> {
    this.open();
    this.entries.set(key, { value, expiresAt: this.expiry(expiresSec) });
  }

  async remove(key: string): Promise<void> {
    this.open();
    this.entries.delete(key);
  }

  async add(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.addSync(key, delta, expiresSec);
  }

  async sub(key: string, delta: number, expiresSec?: number): Promise<number> {
    return this.addSync(key, -delta, expiresSec);
  }

  async getCounter(key: string): Promise<number | null> {
    const e = this.live(key);
    return e ? this.counterOf(key, e) : null;
  }

  async getByPrefix(prefix: string): Promise<Map<string, string>> {
    this.open();
    const out = new Map<string, string>();
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (!k.startsWith(prefix)) continue;
      if (e.expiresAt !== 0 && e.expiresAt <= now) this.entries.delete(k);
      else out.set(k, e.value);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  /** Frees expired keys; run by the timer, callable by tests. Returns how many were freed. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt !== 0 && e.expiresAt <= now) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Keys held, expired ones included until swept (for tests and MI). */
  get size(): number {
    return this.entries.size;
  }

  // Synchronous from read to write: no other caller can interleave, whatever the event loop does.
  private addSync(key: string, delta: number, expiresSec: number | undefined): number {
    if (!Number.isSafeInteger(delta)) throw errors.storage(this.url, `counter delta must be an integer, got ${delta}`);
    const e = this.live(key);
    const next = (e ? this.counterOf(key, e) : 0) + delta;
    const expiresAt = expiresSec !== undefined && expiresSec > 0 ? this.expiry(expiresSec) : (e?.expiresAt ?? 0);
    this.entries.set(key, { value: String(next), expiresAt });
    return next;
  }

  private counterOf(key: string, e: Entry): number {
    const n = Number(e.value);
    if (e.value === '' || !Number.isInteger(n)) {
      throw errors.storage(this.url, `key "${key}" holds ${JSON.stringify(e.value)}, not a counter`);
    }
    return n;
  }

  private live(key: string): Entry | undefined {
    this.open();
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== 0 && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private expiry(expiresSec: number | undefined): number {
    return expiresSec !== undefined && expiresSec > 0 ? this.now() + expiresSec * 1000 : 0;
  }

  private open(): void {
    if (this.closed) throw errors.storage(this.url, 'used after close');
  }
}
