/**
 * The challenges of a 401/407 (RFC 3261 22.2/22.3): WWW-Authenticate in a 401, Proxy-Authenticate in a 407,
 * on several lines (a forking proxy merges the challenges of its branches, RFC 3261 16.7 step 7) and, as
 * RFC 7235 4.1 allows, several in one line. Each challenge is parsed by the core's parseChallenge; only
 * Digest ones are kept, and per realm the first one we can answer is chosen (RFC 7616 3.7: the server
 * lists its preferred algorithm first).
 */
import { parseChallenge, type SipMessage } from '@core/sip';
import type { Challenge, DigestAlgorithm } from './api.js';
import { algorithmOf, type Qop } from './digest.js';

/** After a top-level comma: `Scheme param=…` or `Scheme token68` starts a new challenge; `param=` does not. */
const NEW_CHALLENGE = /^\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s+(?!=|\s)\S/;

/** Splits one header value into its challenges: at commas outside quotes that begin a new scheme. */
export function splitChallenges(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (quoted) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) quoted = false;
    } else if (ch === 34) quoted = true;
    else if (ch === 44 /* , */ && NEW_CHALLENGE.test(value.slice(i + 1))) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/** The Digest challenges of a 401 or 407 reply, in order; [] for any other reply. Unparsable ones are skipped. */
export function parseChallenges(reply: SipMessage): Challenge[] {
  if (reply.isRequest) return [];
  const header = reply.status === 401 ? 'WWW-Authenticate' : reply.status === 407 ? 'Proxy-Authenticate' : undefined;
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const line of reply.headerValues(header)) {
    for (const text of splitChallenges(line)) {
      try {
        const challenge = parseChallenge(text, header);
        if (challenge.scheme.toLowerCase() === 'digest') out.push({ header, challenge });
      } catch {
        // A malformed challenge cannot be answered; another one in the reply may be.
      }
    }
  }
  return out;
}

/** How we answer a challenge: its algorithm and our qop (undefined: the RFC 2069 form, no qop offered). */
export interface Answerable {
  readonly c: Challenge;
  readonly realm: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop: Qop | undefined;
}

/** The algorithm and qop for a challenge, undefined when it offers none we implement. qop=auth is preferred. */
export function answerable(c: Challenge): Answerable | undefined {
  const d = c.challenge;
  const algorithm = algorithmOf(d.algorithm);
  if (algorithm === undefined || d.nonce === undefined) return undefined;
  let qop: Qop | undefined;
  if (d.qop !== undefined) {
    const offered = d.qop.split(',').map((q) => q.trim().toLowerCase());
    if (offered.includes('auth')) qop = 'auth';
    else if (offered.includes('auth-int')) qop = 'auth-int';
    else return undefined;
  }
  return { c, realm: d.realm ?? '', algorithm, qop };
}

/**
 * One challenge per (header, realm): the first answerable one. A 407 merged from several proxies has one
 * per proxy realm, each answered (RFC 3261 22.3); alternatives for one realm (SHA-256, then MD5) yield one.
 */
export function chooseChallenges(list: readonly Challenge[]): { chosen: Answerable[]; unsupported: number } {
  const chosen: Answerable[] = [];
  const seen = new Set<string>();
  let unsupported = 0;
  for (const c of list) {
    const a = answerable(c);
    if (a === undefined) {
      unsupported++;
      continue;
    }
    const key = `${c.header}\n${a.realm}`;
    if (seen.has(key)) continue;
    seen.add(key);
    chosen.push(a);
  }
  return { chosen, unsupported };
}
