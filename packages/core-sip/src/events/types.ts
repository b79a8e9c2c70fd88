/** Events raised by modules (E_UA_SESSION, E_DLG_STATE_CHANGED…) and delivered to `event_route` handlers. */
export type EventParams = Readonly<Record<string, string | number | boolean | null>>;

export type EventHandler = (name: string, params: EventParams) => void | Promise<void>;

export interface EventRegistry {
  /** Declares an event (done by the loader from a module's `events`). Duplicate names are rejected. */
  declare(module: string, name: string, help: string, params: readonly string[]): void;
  /** Raises a declared event; handlers run asynchronously and never throw into the raiser. */
  raise(name: string, params: EventParams): void;
  /** Subscribes to one event (`event_route[E_X]`), returns an unsubscribe function. */
  subscribe(name: string, handler: EventHandler): () => void;
  list(): { module: string; name: string; help: string; params: readonly string[] }[];
}
