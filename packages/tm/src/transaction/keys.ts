/**
 * Transaction matching keys, computed once per request (RFC 3261 17.2.3): the branch, the sent-by and the
 * method, ACK folded onto INVITE; for requests without the magic cookie the RFC 2543 rule (Call-ID, From
 * tag, CSeq number, and per modparams the R-URI and the top Via).
 */
import type { SipMessage } from '@core/sip';

export const MAGIC = 'z9hG4bK';

export interface MatchConfig {
  ruriMatching: boolean;
  via1Matching: boolean;
}

/** The key of the transaction `msg` belongs to, as if its method were `method` (ACK/CANCEL look up INVITE). */
export function requestKey(msg: SipMessage, method: string, cfg: MatchConfig): string {
  const via = msg.topVia;
  const b = via.branch;
  const m = method === 'ACK' ? 'INVITE' : method;
  if (b !== undefined && b.startsWith(MAGIC)) {
    return `${b}\x01${via.host.toLowerCase()}:${via.port ?? ''}\x01${m}`;
  }
  let k = `2543\x01${msg.callId}\x01${msg.from.tag ?? ''}\x01${msg.cseq.seq}\x01${m}`;
  if (cfg.ruriMatching) k += `\x01${msg.ruri}`;
  if (cfg.via1Matching) k += `\x01${via.host.toLowerCase()}:${via.port ?? ''};${b ?? ''}`;
  return k;
}

/** The INVITE an end-to-end ACK belongs to: same Call-ID, From tag and CSeq number. */
export function dialogKey(callId: string, fromTag: string | undefined, cseq: number): string {
  return `${callId}\x01${fromTag ?? ''}\x01${cseq}`;
}
