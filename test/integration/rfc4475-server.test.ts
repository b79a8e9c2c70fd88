/**
 * Every RFC 4475 torture message sent over UDP to a running server. The server must never crash or stall,
 * must answer an invalid request with 400 (505 for the unknown version) and must hand valid requests to
 * the script. Replies in the corpus are for Vias that are not ours and are dropped.
 * The top Via's sent-by is pointed at the test peer (and its transport set to UDP) so answers can be seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SipServer } from '@core/sip';
import { RFC4475_DIR, UdpPeer, statusOf } from '@tsips/testkit';

const DIR = RFC4475_DIR;
const index = readFileSync(`${DIR}index.tsv`, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .map(([name, expected, section]) => ({ name: name!, expected: expected!, section: section! }));

/**
 * What the server answers, by file: the script's 200 for valid requests; 400/505 for invalid ones and for
 * the RFC 4475 3.3 requests that the RFC itself says deserve a 400 (missing/duplicated/conflicting headers);
 * nothing for replies. badinv01's top Via (`;;,;,,`) cannot be parsed, so there is nowhere to send a 400
 * (RFC 3261 18.2.2 routes replies by it): it is counted and dropped. baddate and regbadct are accepted: the broken Date/Contact is flagged only when read
 * (RFC 4475 3.1.2.12 allows ignoring Date; a proxy does not read a REGISTER's Contact).
 */
const EXPECTED: Record<string, number | 'dropped'> = {
  wsinv: 200,
  intmeth: 200,
  esc01: 200,
  escnull: 200,
  esc02: 200,
  lwsdisp: 200,
  longreq: 200,
  dblreq: 200,
  semiuri: 200,
  transports: 200,
  mpart01: 200,
  unreason: 'dropped',
  noreason: 'dropped',
  badinv01: 'dropped',
  clerr: 400,
  ncl: 400,
  scalar02: 400,
  scalarlg: 'dropped',
  quotbal: 400,
  ltgtruri: 400,
  lwsruri: 400,
  lwsstart: 400,
  trws: 400,
  escruri: 400,
  baddate: 200,
  regbadct: 200,
  badaspec: 400,
  baddn: 400,
  badvers: 505,
  mismatch01: 400,
  mismatch02: 400,
  bigcode: 'dropped',
  badbranch: 200,
  insuf: 400,
  unkscm: 200,
  novelsc: 200,
  unksm2: 200,
  bext01: 200,
  invut: 200,
  regaut01: 200,
  multi01: 400,
  mcl01: 400,
  bcast: 'dropped',
  zeromf: 200,
  cparam01: 200,
  cparam02: 200,
  regescrt: 200,
  sdp01: 200,
  inv2543: 200,
};

let server: SipServer;
let sock: UdpPeer;
let peer: number;

beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    routes: { request: (ctx) => void (ctx.$rm === 'ACK' || ctx.sl_send_reply(200, 'Torture OK')) },
  });
  await server.start();
  sock = await UdpPeer.open();
  peer = sock.port;
});
afterAll(async () => {
  sock.close();
  await server.stop();
});

/** Points the top Via at the peer: transport UDP, sent-by 127.0.0.1:peer; everything else byte for byte. */
function aimAtPeer(data: Buffer): Buffer {
  const text = data.toString('latin1');
  // Separators may be folded onto the next line (wsinv).
  const out = text.replace(
    /^((?:via|v)[ \t]*:[ \t]*SIP[ \t\r\n]*\/[ \t\r\n]*[0-9.]+[ \t\r\n]*\/[ \t\r\n]*)([^\s/]+)([ \t\r\n]+)([^;,\s]+)/im,
    `$1UDP$3127.0.0.1:${peer}`,
  );
  return Buffer.from(out, 'latin1');
}

async function outcome(data: Buffer): Promise<number | 'dropped'> {
  while (sock.queued > 0) await sock.next(); // a late reply to an earlier message is not this one's
  await sock.send(data, server.sockets[0]!.port);
  try {
    return statusOf((await sock.next(400)).text);
  } catch {
    return 'dropped';
  }
}

describe('RFC 4475 torture messages through the server', () => {
  it('lists an expectation for every message of the corpus', () => {
    expect(index.map((e) => e.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const { name, expected, section } of index) {
    it(`${name} (${expected}, RFC 4475 ${section}) → ${String(EXPECTED[name])}`, async () => {
      const raw = readFileSync(`${DIR}${name}.dat`);
      const data = raw.subarray(0, 4).toString() === 'SIP/' ? raw : aimAtPeer(raw);
      expect(await outcome(data)).toBe(EXPECTED[name]);
    });
  }

  it('is still serving after the whole corpus', async () => {
    const ok = Buffer.from(
      `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer};branch=z9hG4bKafter\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: after\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(await outcome(ok)).toBe(200);
    const bad = server.stats.query(['core:bad_msg_hdr'])[0]?.value ?? 0;
    expect(bad).toBe(Object.values(EXPECTED).filter((v) => v === 400 || v === 505).length + 3 /* badinv01, scalarlg, bigcode: counted, then dropped */);
  });
});
