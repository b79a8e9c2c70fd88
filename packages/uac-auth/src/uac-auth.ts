/**
 * `uac_auth()` in failure_route, as OpenSIPS: the winning reply of the transaction is a 401/407; its
 * challenges are answered with our credentials on the request, which `t_relay()` then sends as a new
 * branch. As OpenSIPS does, the CSeq goes up by one on the authenticated copy (a new request for the
 * challenger, RFC 3261 8.1.3.5) and every reply relayed upstream gets the caller's own CSeq back, so the
 * caller never sees the renumbering.
 *
 * Header changes made in a failure_route live only for the branches it creates, so what we added in an
 * earlier round (a 407 answered, then a 401) is kept in the transaction's data and added again: every
 * realm answered so far travels on the next copy, the one answered now with the new nonce.
 */
import type { RouteContext } from '@core/sip';
import type { TmApi } from '@mod/tm';
import type { AuthHeader, UacCredential } from './api.js';
import { answerChallenges, mergeAuth } from './answer.js';
import { parseChallenges } from './challenge.js';
import { avpCredential, type AvpNames, type CredentialList } from './credentials.js';

/** What uac_auth did on a transaction so far (t.data key `uac_auth`). */
interface TxAuth {
  /** CSeq number of the last authenticated copy. */
  cseq: number;
  headers: AuthHeader[];
}

const KEY = 'uac_auth';

export interface UacAuthDeps {
  readonly tm: TmApi;
  readonly credentials: CredentialList;
  readonly avps: AvpNames | null;
}

/** The CSeq number the request goes out with now: a module may have renumbered it (dialog's CSeq shift). */
function currentCseq(ctx: RouteContext): number {
  for (let i = ctx.ops.length - 1; i >= 0; i--) {
    const op = ctx.ops[i];
    if (op !== undefined && op.kind === 'replace' && op.name.toLowerCase() === 'cseq') {
      const n = Number.parseInt(op.value, 10);
      if (Number.isFinite(n)) return n;
    }
  }
  return ctx.msg.cseq.seq;
}

/** 1 done; -1 no 401/407 or no challenge we can answer; -2 no credentials for the realm; -3 credentials refused. */
export function uacAuth(d: UacAuthDeps, ctx: RouteContext): number {
  const t = d.tm.getTransaction(ctx);
  if (t === undefined) return -1;
  const reply = d.tm.getBranchReply(t, d.tm.getPickedBranch(t));
  if (reply === undefined || (reply.status !== 401 && reply.status !== 407)) return -1;
  const state = t.data.get(KEY) as TxAuth | undefined;
  const lookup = (realm: string): UacCredential | undefined => (d.avps !== null ? avpCredential(ctx, d.avps, realm) : undefined) ?? d.credentials.lookup(realm);
  const answer = answerChallenges(parseChallenges(reply), { method: ctx.$rm, uri: ctx.$ru, body: ctx.msg.body }, lookup, state?.headers ?? []);
  if (!answer.ok) return answer.reason === 'no_credentials' ? -2 : answer.reason === 'rejected' ? -3 : -1;
  const headers = mergeAuth(state?.headers ?? [], answer.headers);
  const cseq = (state?.cseq ?? currentCseq(ctx)) + 1;
  ctx.ops.push({ kind: 'replace', name: 'CSeq', value: `${cseq} ${ctx.msg.cseq.method}` });
  for (const h of headers) ctx.ops.push({ kind: 'add', name: h.name, value: h.value, where: 'bottom' });
  t.data.set(KEY, { cseq, headers } satisfies TxAuth);
  // Replies go upstream with the CSeq the caller sent (OpenSIPS: a TMCB_RESPONSE_PRE_OUT callback does it).
  d.tm.setReplyOps(t, [{ kind: 'replace', name: 'CSeq', value: `${t.request.cseq.seq} ${t.request.cseq.method}` }]);
  return 1;
}
