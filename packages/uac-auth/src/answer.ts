/**
 * Answering the challenges of one 401/407 (RFC 3261 22.2/22.3): the choice of challenge per realm, the
 * credentials for each, and the stale rule (RFC 7616 3.3): a challenge for a realm we already answered
 * means our credentials were refused, unless it says `stale=true` (only the nonce was old: answer again,
 * it is not a failure).
 */
import type { AuthHeader, Challenge, DigestTarget, UacAuthFailure, UacCredential } from './api.js';
import { buildAuthorization } from './authorization.js';
import { chooseChallenges } from './challenge.js';

/** A credentials header the challenged request already carried: its name and realm. */
export interface PriorAuth {
  readonly name: string;
  readonly realm: string;
}

export type Answer = { readonly ok: true; readonly headers: AuthHeader[] } | { readonly ok: false; readonly reason: UacAuthFailure; readonly realm?: string };

export function answerChallenges(
  challenges: readonly Challenge[],
  target: DigestTarget,
  lookup: (realm: string) => UacCredential | undefined,
  prior: readonly PriorAuth[],
): Answer {
  if (challenges.length === 0) return { ok: false, reason: 'no_challenge' };
  const { chosen } = chooseChallenges(challenges);
  if (chosen.length === 0) return { ok: false, reason: 'unsupported' };
  const headers: AuthHeader[] = [];
  let missing: string | undefined;
  for (const a of chosen) {
    const name = a.c.header === 'WWW-Authenticate' ? 'Authorization' : 'Proxy-Authorization';
    const answered = prior.some((p) => p.name.toLowerCase() === name.toLowerCase() && p.realm === a.realm);
    if (answered && !a.c.challenge.stale) return { ok: false, reason: 'rejected', realm: a.realm };
    const cred = lookup(a.realm);
    if (cred === undefined) {
      missing ??= a.realm;
      continue;
    }
    headers.push(buildAuthorization(a, target, cred));
  }
  if (headers.length === 0) return { ok: false, reason: 'no_credentials', realm: missing ?? '' };
  return { ok: true, headers };
}

/** Replaces, in a list of earlier credentials headers, those of the realms answered now. */
export function mergeAuth<T extends PriorAuth>(earlier: readonly T[], now: readonly T[]): T[] {
  const kept = earlier.filter((e) => !now.some((n) => n.name.toLowerCase() === e.name.toLowerCase() && n.realm === e.realm));
  return [...kept, ...now];
}
