/**
 * Open TCP/TLS connections, found by id (ReceiveInfo.connId) or by the peer's `address:port`, so replies and
 * in-dialog requests go back over the connection the request came on (RFC 3261 18.2.2, 18.3).
 */
import type { Connection } from './connection.js';
import type { Proto } from './types.js';

export class ConnectionTable {
  private readonly byIdMap = new Map<number, Connection>();
  private readonly byRemoteMap = new Map<string, Connection>();
  private nextId = 1;

  /** Ids are never reused while the process lives, so a stale connId cannot reach another peer. */
  allocateId(): number {
    return this.nextId++;
  }

  add(conn: Connection): void {
    this.byIdMap.set(conn.id, conn);
    // The newest connection to a peer wins: it is the one the peer is most likely still reading.
    this.byRemoteMap.set(remoteKey(conn.proto, conn.remoteAddress, conn.remotePort), conn);
  }

  remove(conn: Connection): void {
    if (this.byIdMap.get(conn.id) === conn) this.byIdMap.delete(conn.id);
    const key = remoteKey(conn.proto, conn.remoteAddress, conn.remotePort);
    if (this.byRemoteMap.get(key) === conn) this.byRemoteMap.delete(key);
  }

  byId(id: number): Connection | undefined {
    return this.byIdMap.get(id);
  }

  byRemote(proto: Proto, address: string, port: number): Connection | undefined {
    return this.byRemoteMap.get(remoteKey(proto, address, port));
  }

  get size(): number {
    return this.byIdMap.size;
  }

  all(): IterableIterator<Connection> {
    return this.byIdMap.values();
  }
}

export function remoteKey(proto: Proto, address: string, port: number): string {
  return `${proto} ${address} ${port}`;
}
