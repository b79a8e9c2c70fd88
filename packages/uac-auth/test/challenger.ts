/**
 * Kamailio as a digest-challenging UAS (its `auth` module, no DB): passwords are computed, `pw-<auth
 * user>`, so `pv_www_authenticate`/`pv_proxy_authenticate` check them. The request chooses the case:
 * - R-URI user `www` → 401 / WWW-Authenticate; `proxy` → 407 / Proxy-Authenticate;
 *   `stale` → like `www`, but the first authenticated attempt (CSeq 2) gets a new challenge with stale=true;
 * - `X-Realm` the realm; `X-Qop` the challenge flags (0 none, 1 qop=auth; 2, qop=auth-int, Kamailio
 *   offers but cannot verify).
 * Authenticated requests get 200 with `X-Auth-CSeq: <the CSeq it saw>`.
 */
import { startKamailio, type KamailioServer } from '@tsips/testkit';

export function challengerScript(algorithm: 'MD5' | 'SHA-256'): string {
  return `
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "auth.so"
loadmodule "xlog.so"
modparam("auth", "algorithm", "${algorithm}")
modparam("auth", "secret", "tsips-uac-auth-test")

request_route {
	if (method == "ACK") exit;
	$var(realm) = $hdr(X-Realm);
	$var(qop) = $(hdr(X-Qop){s.int});
	if ($rU == "proxy") {
		if (!pv_proxy_authenticate("$var(realm)", "pw-$au", "0")) {
			proxy_challenge("$var(realm)", "$var(qop)");
			exit;
		}
	} else {
		if ($rU == "stale" && is_present_hf("Authorization") && $cs == 2) {
			$var(stale) = $var(qop) + 16;
			www_challenge("$var(realm)", "$var(stale)");
			exit;
		}
		pv_www_authenticate("$var(realm)", "pw-$au", "0");
		$var(rc) = $rc;
		xlog("L_INFO", "www $ci cseq=$cs rc=$var(rc) auth=[$hdr(Authorization)]\n");
		if ($var(rc) < 0) {
			www_challenge("$var(realm)", "$var(qop)");
			exit;
		}
	}
	append_to_reply("X-Auth-CSeq: $cs\\r\\n");
	sl_send_reply("200", "OK");
}
`;
}

export function startChallenger(algorithm: 'MD5' | 'SHA-256'): Promise<KamailioServer> {
  return startKamailio(challengerScript(algorithm));
}
