/**
 * The API's `authenticate()`: the next request of a module's own UAC exchange (uac-registrant's REGISTER,
 * b2b-entities' INVITE, pua's PUBLISH) after a 401/407. Same Call-ID and From tag (RFC 3261 22.2: the
 * retry is a new request of the same "call"), CSeq + 1 (8.1.3.5), the To without the challenge's tag.
 */
import { parseCredentials, type SipMessage } from '@core/sip';
import type { UacRequest } from '@mod/tm';
import type { AuthHeader, AuthenticateOptions, UacAuthResult, UacCredential } from './api.js';
import { answerChallenges, mergeAuth, type PriorAuth } from './answer.js';
import { parseChallenges } from './challenge.js';

const AUTH_NAMES = new Set(['authorization', 'proxy-authorization']);

interface HeaderAuth extends PriorAuth {
  readonly pair: readonly [string, string];
}

/** The request's own credentials headers with their realm (an unparsable one is kept as is, realm ''). */
function priorOf(headers: readonly (readonly [string, string])[]): HeaderAuth[] {
  const out: HeaderAuth[] = [];
  for (const pair of headers) {
    if (!AUTH_NAMES.has(pair[0].toLowerCase())) continue;
    let realm = '';
    try {
      realm = parseCredentials(pair[1], pair[0]).realm ?? '';
    } catch {
      // kept with no realm: never replaced, never taken as an earlier answer
    }
    out.push({ name: pair[0], realm, pair });
  }
  return out;
}

export function authenticate(req: UacRequest, reply: SipMessage, lookup: (realm: string) => UacCredential | undefined, opts?: AuthenticateOptions): UacAuthResult {
  const headers = req.headers ?? [];
  const prior = priorOf(headers);
  const find = opts?.credential === undefined ? lookup : (realm: string) => opts.credential?.(realm) ?? lookup(realm);
  const answer = answerChallenges(parseChallenges(reply), { method: req.method, uri: req.ruri, body: req.body }, find, prior);
  if (!answer.ok) return answer.realm === undefined ? { ok: false, reason: answer.reason } : { ok: false, reason: answer.reason, realm: answer.realm };
  const added: HeaderAuth[] = answer.headers.map((h: AuthHeader) => ({ name: h.name, realm: h.realm, pair: [h.name, h.value] as const }));
  const auth = mergeAuth(
    prior.filter((p) => p.realm !== ''),
    added,
  ).map((a) => a.pair);
  const unparsed = prior.filter((p) => p.realm === '').map((p): [string, string] => [p.pair[0], p.pair[1]]);
  const others = headers.filter((h) => !AUTH_NAMES.has(h[0].toLowerCase()));
  let callId = req.callId;
  let from = req.from;
  try {
    callId ??= reply.callId;
    from = reply.header('From') ?? req.from; // carries the tag tm generated when the caller gave none
  } catch {
    // a reply too broken to read: keep what the caller gave
  }
  const request: UacRequest = {
    ...req,
    from,
    cseq: (req.cseq ?? 1) + 1,
    headers: [...others, ...unparsed, ...auth.map((p) => [p[0], p[1]] as [string, string])],
  };
  if (callId !== undefined) request.callId = callId;
  return { ok: true, request, headers: answer.headers };
}
