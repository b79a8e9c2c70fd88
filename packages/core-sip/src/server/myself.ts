/** `myself`: is a host[:port] one of this server's addresses (listen sockets, advertised names, aliases)? */
import { networkInterfaces } from 'node:os';
import type { ListenSocket } from '../transport/types.js';

export class Myself {
  #hosts = new Set<string>();
  #ports = new Set<number>();
  #anyHosts = new Set<string>();

  constructor(sockets: readonly ListenSocket[], aliases: readonly string[]) {
    for (const s of sockets) {
      this.#ports.add(s.port);
      this.#ports.add(s.advertisedPort);
      this.#hosts.add(norm(s.advertisedAddress));
      if (s.address === '0.0.0.0' || s.address === '::') {
        for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) this.#anyHosts.add(norm(i.address));
      } else this.#hosts.add(norm(s.address));
    }
    for (const a of aliases) {
      const i = a.lastIndexOf(':');
      if (i > 0 && !a.endsWith(']') && a.indexOf(':') === i) {
        this.#hosts.add(norm(a.slice(0, i)));
        this.#ports.add(Number(a.slice(i + 1)));
      } else this.#hosts.add(norm(a));
    }
  }

  /** Port defaults to 5060 (5061 for sips) as in RFC 3261 URI comparison. */
  check(host: string, port: number | undefined, secure = false): boolean {
    const h = norm(host);
    if (!this.#hosts.has(h) && !this.#anyHosts.has(h)) return false;
    return this.#ports.has(port ?? (secure ? 5061 : 5060));
  }
}

function norm(h: string): string {
  const s = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  return s.toLowerCase();
}
