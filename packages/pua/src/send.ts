/**
 * Sending one pua request through tm, answering a 401/407 through uac_auth when it is loaded: the retry
 * rules that are the same for PUBLISH and SUBSCRIBE. 412 and 423 are handled by the callers, which know
 * what to change.
 */
import type { SipMessage } from '@core/sip';
import type { TmApi, UacOutcome, UacRequest } from '@mod/tm';
import type { UacAuthApi } from '@mod/uac-auth';

export interface Sent {
  readonly outcome: UacOutcome;
  /** The request that got the outcome (CSeq grown by an auth retry). */
  readonly request: UacRequest;
}

/** At most this many 401/407 answered per request: a second challenge for the same realm means a bad password. */
const MAX_AUTH = 2;

export async function sendWithAuth(tm: TmApi, auth: UacAuthApi | undefined, req: UacRequest): Promise<Sent> {
  let request = req;
  for (let n = 0; ; n++) {
    const outcome = await tm.request(request).done;
    if ((outcome.code !== 401 && outcome.code !== 407) || auth === undefined || outcome.reply === undefined || n >= MAX_AUTH) return { outcome, request };
    const next = auth.authenticate(request, outcome.reply);
    if (!next.ok) return { outcome, request };
    request = next.request;
  }
}

/** `Name: value` header lines of extra_headers (CRLF or LF separated). */
export function extraHeaderPairs(extra: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of extra.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

/** Expires granted by a 2xx (its Expires header), else what we asked for. */
export function grantedExpires(reply: SipMessage | undefined, asked: number): number {
  const e = reply?.expires;
  return e !== undefined && Number.isFinite(e) && e >= 0 ? e : asked;
}

/** Min-Expires of a 423 (RFC 3261 21.4.17), or undefined. */
export function minExpiresOf(reply: SipMessage | undefined): number | undefined {
  const v = reply?.header('Min-Expires');
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** `<uri>` unless already a name-addr. */
export function nameAddr(uri: string): string {
  return uri.includes('<') ? uri : `<${uri}>`;
}
