/**
 * The event registry: modules declare events (E_DLG_STATE_CHANGED…), `event_route` handlers and other
 * subscribers listen, and raisers never wait for nor hear from them.
 */
import type { Logger } from 'pino';
import type { EventHandler, EventParams, EventRegistry } from './types.js';

export class EventsError extends Error {
  constructor(
    readonly code: 'E_EVENT_DUPLICATE' | 'E_EVENT_UNKNOWN',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'EventsError';
  }
}

interface EventEntry {
  readonly module: string;
  readonly name: string;
  readonly help: string;
  readonly params: readonly string[];
  /** Replaced, never mutated, on (un)subscribe: a delivery in flight keeps the list it started with. */
  handlers: readonly EventHandler[];
}

export class Events implements EventRegistry {
  private readonly events = new Map<string, EventEntry>();

  /**
   * `log` receives the errors of failing handlers (they never reach the raiser); `onError`, when given,
   * gets them instead (the server counts them in core:internal_errors). It must not throw.
   */
  constructor(
    private readonly log?: Logger,
    private readonly onError?: (event: string, err: unknown) => void,
  ) {}

  declare(module: string, name: string, help: string, params: readonly string[]): void {
    const prev = this.events.get(name);
    if (prev) {
      throw new EventsError('E_EVENT_DUPLICATE', `event "${name}" of module "${module}" is already declared by "${prev.module}"`);
    }
    this.events.set(name, { module, name, help, params: [...params], handlers: [] });
  }

  raise(name: string, params: EventParams): void {
    const e = this.events.get(name);
    if (!e) throw new EventsError('E_EVENT_UNKNOWN', `event "${name}" is not declared`);
    const handlers = e.handlers;
    if (handlers.length === 0) return;
    // setImmediate rather than a microtask: a handler raising events in a loop must not starve socket I/O.
    setImmediate(() => {
      for (const h of handlers) this.deliver(h, name, params);
    });
  }

  subscribe(name: string, handler: EventHandler): () => void {
    const e = this.events.get(name);
    if (!e) throw new EventsError('E_EVENT_UNKNOWN', `cannot subscribe to "${name}": event is not declared`);
    e.handlers = [...e.handlers, handler];
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const i = e.handlers.indexOf(handler);
      if (i >= 0) e.handlers = [...e.handlers.slice(0, i), ...e.handlers.slice(i + 1)];
    };
  }

  list(): { module: string; name: string; help: string; params: readonly string[] }[] {
    return [...this.events.values()].map((e) => ({ module: e.module, name: e.name, help: e.help, params: e.params }));
  }

  /** Number of subscribers of an event (0 for unknown ones), e.g. to skip building costly params. */
  subscribers(name: string): number {
    return this.events.get(name)?.handlers.length ?? 0;
  }

  private deliver(h: EventHandler, name: string, params: EventParams): void {
    try {
      const r = h(name, params);
      if (r instanceof Promise) r.catch((err: unknown) => this.failed(name, err));
    } catch (err) {
      this.failed(name, err);
    }
  }

  private failed(name: string, err: unknown): void {
    if (this.onError) this.onError(name, err);
    else if (this.log) this.log.error({ event: name, err }, 'event handler failed');
    // Without a logger the failure must still be visible somewhere.
    else console.error(`event handler for ${name} failed:`, err);
  }
}
