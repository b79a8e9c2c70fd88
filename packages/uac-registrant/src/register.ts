/**
 * The REGISTER of a registrant (RFC 3261 10.2): To = aor, From = third-party registrant or aor (with the
 * registrant's own tag), R-URI = registrar, Contact = binding URI + binding params, Expires; the same Call-ID
 * for every REGISTER of the registrant and CSeq + 1 each time (10.2.4: refreshes reuse them); the outbound
 * proxy as the next hop and the forced socket as the sending socket.
 */
import type { UacRequest } from '@mod/tm';
import type { RegRecord } from './record.js';

export type RegisterKind =
  /** Binding with the requested expiry. */
  | 'register'
  /** Removal of our binding (Expires: 0). */
  | 'unregister'
  /** Removal of every binding of the AOR (Contact: *, Expires: 0), RFC 3261 10.2.2. */
  | 'unregister_all';

export function buildRegister(r: RegRecord, kind: RegisterKind): UacRequest {
  const c = r.cfg;
  r.cseq++;
  const expires = kind === 'register' ? r.askExpiry : 0;
  const req: UacRequest = {
    method: 'REGISTER',
    ruri: c.registrar,
    from: `<${c.thirdParty === '' ? c.aor : c.thirdParty}>;tag=${r.fromTag}`,
    to: `<${c.aor}>`,
    callId: r.callId,
    cseq: r.cseq,
    contact: kind === 'unregister_all' ? '*' : `<${c.binding}>${c.bindingParams}`,
    headers: [['Expires', String(expires)]],
  };
  if (c.proxy !== '') req.dstUri = c.proxy;
  if (c.forcedSocket !== '') req.socket = c.forcedSocket;
  return req;
}
