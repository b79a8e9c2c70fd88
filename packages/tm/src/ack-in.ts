/**
 * The ACK of a 2xx that tm generated (t_reply, MI t_reply, the UAS side of b2b_entities): it stops that
 * 2xx's retransmissions (RFC 3261 13.3.1.4) as soon as it is received, before and whatever the script
 * does with it. The ACK still goes to the script, as any end-to-end ACK does.
 */
import type { SipMessage } from '@core/sip';
import type { Tm } from './tm.js';
import { dialogKey } from './transaction/keys.js';
import { endAckWait } from './transaction/server.js';

export function onAckIn(tm: Tm, msg: SipMessage): false {
  if (msg.method !== 'ACK') return false;
  let key: string;
  try {
    key = dialogKey(msg.callId, msg.from.tag, msg.cseq.seq);
  } catch {
    return false; // not a well-formed ACK: the script decides what to do with it
  }
  const cell = tm.table.byDialog(key);
  if (cell !== undefined && cell.awaitingAck) endAckWait(tm, cell);
  return false;
}
