/**
 * The uac_auth API other modules bind (OpenSIPS `load_uac_auth_api()` / `uac_auth_api_t`): the credentials
 * of modparam `credential` looked up by realm, and the digest answer to a 401/407 for a request tsips sends
 * as a UAC (RFC 3261 22.2/22.3, RFC 2617, RFC 7616). uac-registrant, b2b-entities and pua use it: a request
 * sent with tm's `request()` came back 401/407, `authenticate()` builds the next one, they send it.
 *
 * This file is the contract between uac_auth and its users: change it only together with them.
 */
import type { DigestChallenge, SipMessage } from '@core/sip';
import type { UacRequest } from '@mod/tm';

/** One entry of modparam `credential` ("user:realm:password"), or one given by AVPs or by a caller. */
export interface UacCredential {
  readonly user: string;
  readonly realm: string;
  readonly password: string;
}

/** Digest algorithms answered (RFC 7616 3.3 / 6.1); a challenge without `algorithm` means MD5. */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/** What the digest of a request covers: its method, Request-URI and (qop=auth-int) body. */
export interface DigestTarget {
  readonly method: string;
  readonly uri: string;
  readonly body?: Buffer | undefined;
}

/** The credentials header answering one challenge: `Authorization` for a 401, `Proxy-Authorization` for a 407. */
export interface AuthHeader {
  readonly name: 'Authorization' | 'Proxy-Authorization';
  readonly value: string;
  readonly realm: string;
}

/** A challenge of a 401/407, with the header it came in. */
export interface Challenge {
  /** `WWW-Authenticate` (401) or `Proxy-Authenticate` (407). */
  readonly header: 'WWW-Authenticate' | 'Proxy-Authenticate';
  readonly challenge: DigestChallenge;
}

/**
 * Why a 401/407 could not be answered:
 * - `no_challenge`: not a 401/407, or no Digest challenge in it;
 * - `unsupported`: Digest challenges, but none with an algorithm and qop we implement;
 * - `no_credentials`: no credentials for any challenged realm;
 * - `rejected`: the request already carried our credentials for that realm and the challenge is not
 *   `stale=true`, so the password was wrong (a stale nonce is retried, not counted as a failure).
 */
export type UacAuthFailure = 'no_challenge' | 'unsupported' | 'no_credentials' | 'rejected';

export type UacAuthResult =
  | {
      readonly ok: true;
      /**
       * The next request: the same Call-ID and From tag as the challenged one (taken from the reply when tm
       * generated them), CSeq + 1, and one credentials header per answered realm (replacing the ones for that
       * realm the request already had). Send it with tm's `request()`.
       */
      readonly request: UacRequest;
      /** The headers added, one per answered realm. */
      readonly headers: readonly AuthHeader[];
    }
  | { readonly ok: false; readonly reason: UacAuthFailure; readonly realm?: string };

export interface AuthenticateOptions {
  /** Credentials for a realm before the `credential` modparam (uac-registrant's per-registration ones). */
  credential?: (realm: string) => UacCredential | undefined;
}

export interface UacAuthApi {
  /** The first `credential` modparam entry for `realm` (exact, case-sensitive match as OpenSIPS), if any. */
  lookupCredential(realm: string): UacCredential | undefined;
  /** The Digest challenges of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate), several per line allowed. */
  parseChallenges(reply: SipMessage): Challenge[];
  /**
   * The credentials header answering one challenge for `target` with `cred` (a fresh cnonce, nonce-count
   * `nc`, 1 for a new nonce); undefined when the challenge's algorithm or qop is not one we implement.
   */
  authorize(c: Challenge, target: DigestTarget, cred: UacCredential, nc?: number): AuthHeader | undefined;
  /** Given the request sent and its 401/407 reply, the authenticated next request (see UacAuthResult). */
  authenticate(req: UacRequest, reply: SipMessage, opts?: AuthenticateOptions): UacAuthResult;
}

declare module '@core/sip' {
  interface ModuleApis {
    uac_auth: UacAuthApi;
  }
  interface RouteContext {
    /**
     * `uac_auth()` in failure_route: answers the winning 401/407 with our credentials on the request (CSeq + 1,
     * same Call-ID and tags); then `t_relay()` sends it. 1 done; -1 no 401/407 or no challenge we can answer;
     * -2 no credentials for the realm; -3 our credentials for that realm were refused (not stale).
     */
    uac_auth(): number;
  }
}
