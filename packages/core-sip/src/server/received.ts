/**
 * RFC 3261 18.2.1 / RFC 3581: the top Via of a received request gets `received` when the sent-by host is
 * not the source address, and `rport=<port>` when the client asked for it, so replies find their way back.
 */
import type { Via } from '../message/headers/via.js';
import type { ReceiveInfo } from '../transport/types.js';

/** The rewritten top Via value, or undefined when nothing needs adding. */
export function topViaWithReceived(via: Via, rinfo: ReceiveInfo): string | undefined {
  const wantsRport = via.rport === null;
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  const needsReceived = host !== rinfo.srcAddress || wantsRport;
  if (!needsReceived) return undefined;
  let s = `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}`;
  const params = via.params;
  for (let i = 0; i < params.size; i++) {
    const name = params.nameAt(i) ?? '';
    const value = params.valueAt(i) ?? null;
    const n = name.toLowerCase();
    if (n === 'received') continue;
    if (n === 'rport') {
      s += `;rport=${rinfo.srcPort}`;
      continue;
    }
    s += value === null ? `;${name}` : `;${name}=${value}`;
  }
  s += `;received=${rinfo.srcAddress}`;
  return s;
}
