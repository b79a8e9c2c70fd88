/** Challenge parsing and choice (RFC 3261 22.3, RFC 7235 4.1, RFC 7616 3.7) and the credentials header built. */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '@core/sip';
import { buildAuthorization } from '../src/authorization.js';
import { answerable, chooseChallenges, parseChallenges, splitChallenges } from '../src/challenge.js';
import { answerChallenges } from '../src/answer.js';
import { digestResponse } from '../src/digest.js';

function reply(status: number, headers: string[]): ReturnType<typeof parseMessage> {
  const reason = status === 401 ? 'Unauthorized' : status === 407 ? 'Proxy Authentication Required' : 'Other';
  const text = [
    `SIP/2.0 ${status} ${reason}`,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx',
    'From: <sip:alice@a.test>;tag=f',
    'To: <sip:bob@b.test>;tag=t',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text));
}

describe('splitChallenges', () => {
  it('splits at commas that start a new scheme, not inside quotes or between params', () => {
    expect(splitChallenges('Digest realm="a", nonce="1", algorithm=SHA-256, Digest realm="a", nonce="2"')).toEqual([
      'Digest realm="a", nonce="1", algorithm=SHA-256',
      'Digest realm="a", nonce="2"',
    ]);
    expect(splitChallenges('Digest realm="x, Digest y", nonce="n"')).toEqual(['Digest realm="x, Digest y", nonce="n"']);
    expect(splitChallenges('Digest realm="a" , nonce = "n"')).toEqual(['Digest realm="a" , nonce = "n"']);
  });

  it('RFC 7235 4.1 example: two challenges, one with an escaped quote', () => {
    expect(splitChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"')).toEqual([
      'Newauth realm="apps", type=1, title="Login to \\"apps\\""',
      'Basic realm="simple"',
    ]);
  });
});

describe('parseChallenges', () => {
  it('401: WWW-Authenticate lines, several per line; non-Digest and malformed ones skipped', () => {
    const r = reply(401, [
      'WWW-Authenticate: Basic realm="b", Digest realm="one", nonce="n1", algorithm=SHA-256',
      'WWW-Authenticate: Digest realm="two", nonce="n2", qop="auth,auth-int", opaque="o", stale=TRUE',
      'WWW-Authenticate: Digest realm="broken", nonce=',
      'Proxy-Authenticate: Digest realm="not-in-a-401", nonce="x"',
    ]);
    const list = parseChallenges(r);
    expect(list.map((c) => [c.header, c.challenge.realm, c.challenge.nonce])).toEqual([
      ['WWW-Authenticate', 'one', 'n1'],
      ['WWW-Authenticate', 'two', 'n2'],
      ['WWW-Authenticate', 'broken', ''],
    ]);
    expect(list[1]!.challenge.stale).toBe(true);
    expect(list[1]!.challenge.opaque).toBe('o');
  });

  it('407: Proxy-Authenticate only; other statuses have none', () => {
    const hdrs = ['Proxy-Authenticate: Digest realm="p", nonce="n"', 'WWW-Authenticate: Digest realm="w", nonce="m"'];
    expect(parseChallenges(reply(407, hdrs)).map((c) => [c.header, c.challenge.realm])).toEqual([['Proxy-Authenticate', 'p']]);
    expect(parseChallenges(reply(403, hdrs))).toEqual([]);
  });
});

describe('choosing', () => {
  const list = (lines: string[]) =>
    parseChallenges(
      reply(
        401,
        lines.map((l) => `WWW-Authenticate: ${l}`),
      ),
    );

  it('per realm the first answerable (server preference order); unknown algorithms skipped; each realm answered', () => {
    const { chosen, unsupported } = chooseChallenges(
      list([
        'Digest realm="r", nonce="1", algorithm=AKAv1-MD5',
        'Digest realm="r", nonce="2", algorithm=SHA-256',
        'Digest realm="r", nonce="3"',
        'Digest realm="s", nonce="4", algorithm=md5-sess',
      ]),
    );
    expect(chosen.map((a) => [a.realm, a.algorithm, a.c.challenge.nonce])).toEqual([
      ['r', 'SHA-256', '2'],
      ['s', 'MD5-sess', '4'],
    ]);
    expect(unsupported).toBe(1);
  });

  it('qop: auth preferred, auth-int when only it is offered, none without qop, unknown qop refused', () => {
    const qops = list([
      'Digest realm="a", nonce="1", qop="auth-int, auth"',
      'Digest realm="b", nonce="1", qop="auth-int"',
      'Digest realm="c", nonce="1"',
      'Digest realm="d", nonce="1", qop="x-new"',
    ]).map((c) => {
      const a = answerable(c);
      return a === undefined ? 'refused' : (a.qop ?? 'none');
    });
    expect(qops).toEqual(['auth', 'auth-int', 'none', 'refused']);
  });
});

describe('buildAuthorization', () => {
  it('echoes realm, nonce, opaque and algorithm; qop and nc unquoted; quotes escaped; response per RFC 2617', () => {
    const [c] = parseChallenges(
      reply(401, [
        'WWW-Authenticate: Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5',
      ]),
    );
    const a = answerable(c!)!;
    const h = buildAuthorization(
      a,
      { method: 'GET', uri: '/dir/index.html' },
      { user: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life' },
      1,
      '0a4f113b',
    );
    expect(h).toEqual({
      name: 'Authorization',
      realm: 'testrealm@host.com',
      value:
        'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001',
    });
    const odd = buildAuthorization(a, { method: 'GET', uri: '/' }, { user: 'a"b\\c', realm: 'testrealm@host.com', password: 'p' }, 2, 'cn');
    expect(odd.value).toMatch(/^Digest username="a\\"b\\\\c", /);
    expect(odd.value).toMatch(/, nc=00000002$/);
  });

  it('407 → Proxy-Authorization; without qop no cnonce/nc; RFC 2069 response', () => {
    const [c] = parseChallenges(reply(407, ['Proxy-Authenticate: Digest realm="p", nonce="n"']));
    const h = buildAuthorization(answerable(c!)!, { method: 'INVITE', uri: 'sip:bob@b.test' }, { user: 'u', realm: 'p', password: 'pw' });
    const response = digestResponse({ algorithm: 'MD5', username: 'u', realm: 'p', password: 'pw', method: 'INVITE', uri: 'sip:bob@b.test', nonce: 'n' });
    expect(h).toEqual({ name: 'Proxy-Authorization', realm: 'p', value: `Digest username="u", realm="p", nonce="n", uri="sip:bob@b.test", response="${response}"` });
  });
});

describe('answerChallenges', () => {
  const creds = (realm: string) => (realm === 'r' ? { user: 'u', realm, password: 'pw' } : undefined);
  const target = { method: 'REGISTER', uri: 'sip:r' };
  const ch = (status: number, lines: string[]) => parseChallenges(reply(status, lines));

  it('no challenge / unsupported / no credentials', () => {
    expect(answerChallenges([], target, creds, [])).toEqual({ ok: false, reason: 'no_challenge' });
    expect(answerChallenges(ch(401, ['WWW-Authenticate: Digest realm="r", nonce="1", algorithm=AKAv1-MD5']), target, creds, [])).toEqual({
      ok: false,
      reason: 'unsupported',
    });
    expect(answerChallenges(ch(401, ['WWW-Authenticate: Digest realm="q", nonce="1"']), target, creds, [])).toEqual({ ok: false, reason: 'no_credentials', realm: 'q' });
  });

  it('a realm answered before: rejected unless stale=true; realms without credentials are left out', () => {
    const prior = [{ name: 'Authorization', realm: 'r' }];
    expect(answerChallenges(ch(401, ['WWW-Authenticate: Digest realm="r", nonce="2"']), target, creds, prior)).toEqual({ ok: false, reason: 'rejected', realm: 'r' });
    const stale = answerChallenges(
      ch(401, ['WWW-Authenticate: Digest realm="r", nonce="2", stale=true', 'WWW-Authenticate: Digest realm="q", nonce="3"']),
      target,
      creds,
      prior,
    );
    expect(stale.ok && stale.headers.map((h) => h.realm)).toEqual(['r']);
    // A Proxy-Authorization for the realm is not an earlier answer to a 401 for it.
    const other = answerChallenges(ch(401, ['WWW-Authenticate: Digest realm="r", nonce="2"']), target, creds, [{ name: 'Proxy-Authorization', realm: 'r' }]);
    expect(other.ok).toBe(true);
  });
});
