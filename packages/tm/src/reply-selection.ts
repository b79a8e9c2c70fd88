/**
 * Choosing the reply sent upstream when every branch ended negatively (RFC 3261 16.7 step 6): a 6xx wins,
 * then the lowest class (3xx, 4xx, 5xx); in 4xx the codes the UAC can act on (401, 407, 415, 420, 484)
 * first; received replies before local ones (timeouts).
 */
import type { Branch } from './transaction/branch.js';

const ACTIONABLE = new Set([401, 407, 415, 420, 484]);

function rank(b: Branch): number {
  const code = b.finalCode;
  const cls = Math.floor(code / 100);
  const classRank = cls === 6 ? 0 : cls === 3 ? 1 : cls === 4 ? 2 : cls === 5 ? 3 : 4;
  const sub = cls === 4 && ACTIONABLE.has(code) ? 0 : 1;
  return classRank * 10_000 + sub * 2000 + (b.localFinal ? 1000 : 0) + (code % 1000);
}

/**
 * The branch whose final reply is sent upstream, among branches with a negative final outcome. Minor
 * branches (minor_branch_flag) are transparent: their reply is picked only when no other branch has one.
 */
export function selectBest(branches: readonly Branch[]): Branch | undefined {
  return pick(branches, false) ?? pick(branches, true);
}

function pick(branches: readonly Branch[], minor: boolean): Branch | undefined {
  let best: Branch | undefined;
  let bestRank = Infinity;
  for (const b of branches) {
    if (b.finalCode < 300 || b.minor !== minor) continue;
    const r = rank(b);
    if (r < bestRank) {
      best = b;
      bestRank = r;
    }
  }
  return best;
}

/** RFC 3261 16.7 step 7: a 401/407 upstream carries the challenges of every 401/407 branch. */
export function authChallenges(branches: readonly Branch[]): [string, string][] {
  const out: [string, string][] = [];
  for (const b of branches) {
    const r = b.final;
    if (r === undefined || (r.status !== 401 && r.status !== 407)) continue;
    for (const v of r.headerValues('WWW-Authenticate')) out.push(['WWW-Authenticate', v]);
    for (const v of r.headerValues('Proxy-Authenticate')) out.push(['Proxy-Authenticate', v]);
  }
  return out;
}
