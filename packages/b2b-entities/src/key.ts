/**
 * Entity keys, OpenSIPS form `<prefix>.<hash index>.<local id>.<time>.<rand>`. A server entity's key is the
 * To-tag we answer with, a client entity's is the Call-ID of its dialog, so an in-dialog request is ours
 * when its To-tag (or Call-ID) starts with `<prefix>.`, and the hash index in it finds the bucket.
 */
import { randomInt } from 'node:crypto';

export class KeyMaker {
  readonly #dotPrefix: string;
  #next = 1;

  constructor(readonly prefix: string) {
    this.#dotPrefix = `${prefix}.`;
  }

  make(hashIndex: number): string {
    const t = Math.floor(Date.now() / 1000);
    return `${this.#dotPrefix}${hashIndex}.${this.#next++}.${t}.${randomInt(1_000_000)}`;
  }

  /** True when `s` has our prefix (it may still name no live entity). */
  isOurs(s: string | undefined): s is string {
    return s !== undefined && s.startsWith(this.#dotPrefix);
  }

  /** The hash index written in a key, or -1 when it is not one of ours. */
  hashIndexOf(key: string): number {
    if (!key.startsWith(this.#dotPrefix)) return -1;
    const end = key.indexOf('.', this.#dotPrefix.length);
    if (end < 0) return -1;
    const n = Number(key.slice(this.#dotPrefix.length, end));
    return Number.isInteger(n) && n >= 0 ? n : -1;
  }

  /** Keeps generated ids above those of restored entities. */
  seen(key: string): void {
    const parts = key.slice(this.#dotPrefix.length).split('.');
    const id = Number(parts[1]);
    if (Number.isInteger(id) && id >= this.#next) this.#next = id + 1;
  }
}
