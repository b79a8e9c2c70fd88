/** The API's `authorize()`: one challenge answered, for callers that keep their own nonce (nc > 1). */
import type { AuthHeader, Challenge, DigestTarget, UacCredential } from './api.js';
import { buildAuthorization } from './authorization.js';
import { answerable } from './challenge.js';

export function authorize(c: Challenge, target: DigestTarget, cred: UacCredential, nc = 1): AuthHeader | undefined {
  const a = answerable(c);
  return a === undefined ? undefined : buildAuthorization(a, target, cred, nc);
}
