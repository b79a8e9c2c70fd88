/**
 * RFC 3261 18.2.1 / RFC 3581: the top Via of a received request gets `received` when the sent-by host is
 * not the source address, and `rport=<port>` when the client asked for it, so replies find their way back.
 * The decision is the transport's (`receivedParams`); this writes the Via value with them.
 */
import type { Via } from '../message/headers/via.js';
import type { ReceiveInfo } from '../transport/types.js';
import { receivedParams } from '../transport/response-target.js';

/** The rewritten top Via value, or undefined when nothing needs adding. */
export function topViaWithReceived(via: Via, rinfo: ReceiveInfo): string | undefined {
  const { received, rport } = receivedParams(via, rinfo);
  if (received === undefined && rport === undefined) return undefined;
  let s = `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}`;
  const params = via.params;
  for (let i = 0; i < params.size; i++) {
    const name = params.nameAt(i) ?? '';
    const n = name.toLowerCase();
    if (n === 'received' && received !== undefined) continue;
    if (n === 'rport' && rport !== undefined) {
      s += `;rport=${rport}`;
      continue;
    }
    const value = params.valueAt(i) ?? null;
    s += value === null ? `;${name}` : `;${name}=${value}`;
  }
  if (received !== undefined) s += `;received=${received}`;
  return s;
}
