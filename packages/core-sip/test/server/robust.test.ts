/**
 * No datagram can stop the server (issue 11): a broken request whose 400 cannot be sent, a module hook
 * that throws, error_route logging a message without Call-ID, and a flood of garbage, against a real
 * server on a UDP socket. The failures are logged with a context read safely and counted; the server
 * answers the next request. Without the fixes these tests fail with an unhandled rejection (vitest
 * fails the run) or a missing log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { SipServer, defineModule, type RouteContext } from '../../src/index.js';
import { RFC4475_DIR, UdpPeer, request, statusOf } from '@tsips/testkit';

type Line = Record<string, unknown> & { msg: string };

const lines: Line[] = [];
let server: SipServer;
let uac: UdpPeer;
let port: number;
let throwOnReply = false;
let errorRoute: (ctx: RouteContext) => void = () => undefined;

/** A module whose reply hook throws on demand: a bug in a module on the receive path. */
const faulty = defineModule({
  name: 'faulty',
  version: '1.0.0',
  init(ctx) {
    ctx.core.hooks.onReplyIn(() => {
      if (throwOnReply) throw new Error('faulty reply hook');
      return false;
    });
    return {};
  },
});

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    modules: [faulty],
    log: { level: 'info', destination, linesPerSecond: 5 },
    routes: {
      request: (ctx) => void (ctx.$rm === 'ACK' || ctx.sl_send_reply(200, 'Still here')),
      error_route: (ctx) => errorRoute(ctx),
    },
  });
  await server.start();
  port = server.sockets[0]!.port;
  uac = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  await server.stop();
});

const stat = (name: string): number => server.stats.query([name])[0]?.value ?? 0;

async function stillAnswers(): Promise<void> {
  await uac.send(request('OPTIONS', `sip:127.0.0.1:${port}`, uac.port), port);
  const r = await uac.next();
  expect(statusOf(r.text)).toBe(200);
}

const insuf = readFileSync(`${RFC4475_DIR}insuf.dat`, 'latin1');
/** A host name with a 70-character label: the resolver refuses it locally, no DNS query leaves the machine. */
const UNRESOLVABLE = `${'x'.repeat(70)}.invalid`;

describe('a request whose 400 cannot be sent (RFC 4475 insuf: no Call-ID, From, To)', () => {
  // The reply goes to the source address (RFC 3261 18.2.2), which is reachable here; a maddr on the Via
  // sends it elsewhere: to an address a loopback socket cannot reach, or to a name that does not resolve.
  it.each([
    ['a Via maddr unreachable from a loopback socket', insuf.replace('z9hG4bKkdj.insuf', 'z9hG4bKkdj.insuf;maddr=192.0.2.95'), 'udp:192.0.2.95:5060'],
    ['a Via maddr that does not resolve', insuf.replace('z9hG4bKkdj.insuf', `z9hG4bKkdj.insuf;maddr=${UNRESOLVABLE}`), `udp:${UNRESOLVABLE}:5060`],
  ])('%s: logged with a safe context and counted; the server lives on', async (_what, text, to) => {
    const failed = stat('sl:failed_replies');
    const bad = stat('core:bad_msg_hdr');
    const before = lines.length;
    await uac.send(text, port);
    await expect.poll(() => stat('sl:failed_replies')).toBe(failed + 1);
    expect(stat('core:bad_msg_hdr')).toBe(bad + 1);
    await stillAnswers();
    const line = lines.slice(before).find((l) => l.msg === 'stateless reply could not be sent');
    expect(line).toMatchObject({ code: 400, method: 'INVITE', cseq: '193942 INVITE' });
    expect(line?.['to']).toBe(to);
    expect(line).not.toHaveProperty('callId');
  });
});

describe('errors on the receive path', () => {
  it('a module hook that throws on a reply: counted in core:internal_errors, logged with the Call-ID', async () => {
    const errs = stat('core:internal_errors');
    const before = lines.length;
    throwOnReply = true;
    try {
      const reply = `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKnotours\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: hook-throws\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      await uac.send(reply, port);
      await expect.poll(() => stat('core:internal_errors')).toBe(errs + 1);
    } finally {
      throwOnReply = false;
    }
    await stillAnswers();
    expect(lines.slice(before).find((l) => l.msg === 'message processing failed')).toMatchObject({ callId: 'hook-throws', status: 200, method: 'OPTIONS' });
  });

  it('a reply whose previous hop names an unknown transport is dropped as an error reply, not an internal error', async () => {
    const errs = stat('core:internal_errors');
    const errReplies = stat('core:err_replies');
    const reply = `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKours\r\nVia: SIP/2.0/UD 127.0.0.1:${uac.port};branch=z9hG4bKprev\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: no-way-back\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    await uac.send(reply, port);
    await expect.poll(() => stat('core:err_replies')).toBe(errReplies + 1);
    expect(stat('core:internal_errors')).toBe(errs);
    await stillAnswers();
  });

  it('a malformed request quoting an 8 KB header is logged with its error cut short', async () => {
    const before = lines.length;
    const huge = `sip:${'a'.repeat(8000)} x`;
    await uac.send(
      `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKhuge;rport\r\nFrom: <sip:a@x>;tag=1\r\nTo: <${huge}>\r\nCall-ID: huge\r\nCSeq: 1 OPTIONS\r\n\r\n`,
      port,
    );
    expect(statusOf((await uac.next()).text)).toBe(400);
    await expect.poll(() => lines.slice(before).find((l) => l.msg === 'malformed request' && l['callId'] === 'huge')).toBeDefined();
    const line = lines.slice(before).find((l) => l.msg === 'malformed request' && l['callId'] === 'huge')!;
    expect(String(line['err']).length).toBeLessThanOrEqual(301);
  });

  it('error_route can xlog a message without Call-ID', async () => {
    const before = lines.length;
    errorRoute = (ctx) => ctx.xlog(`bad ${ctx.$rm}`);
    try {
      await uac.send(insuf.replace('192.0.2.95', `127.0.0.1:${uac.port}`), port);
      const r = await uac.next();
      expect(statusOf(r.text)).toBe(400);
      await expect.poll(() => lines.slice(before).some((l) => l.msg === 'bad INVITE')).toBe(true);
    } finally {
      errorRoute = () => undefined;
    }
    expect(lines.slice(before).some((l) => l.msg === 'script error')).toBe(false);
  });
});

describe('a flood of malformed requests', () => {
  it('is counted one by one but logged at most linesPerSecond times a second, then summarised', async () => {
    // A server of its own: the rate limit's second must not be shared with the lines of other tests.
    const own: Line[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l !== '') own.push(JSON.parse(l) as Line);
        cb();
      },
    });
    const flooded = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: 'info', destination, linesPerSecond: 5 },
      routes: { request: (ctx) => void ctx.sl_send_reply(200, 'OK') },
    });
    await flooded.start();
    const fport = flooded.sockets[0]!.port;
    const sink = await UdpPeer.open();
    const t0 = performance.now();
    try {
      // No From/To/Call-ID: each one is answered 400, to a peer that does not read them.
      const broken = (i: number) =>
        `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${sink.port};branch=z9hG4bKflood${i}\r\nCSeq: ${i} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      for (let i = 1; i <= 200; i++) await uac.send(broken(i), fport);
      await expect.poll(() => flooded.stats.query(['core:bad_msg_hdr'])[0]?.value, { timeout: 5000 }).toBe(200);
      const seconds = Math.ceil((performance.now() - t0) / 1000);
      const written = (): number => own.filter((l) => l.msg === 'malformed request').length;
      const summarised = (): number => own.filter((l) => l['kind'] === 'malformed request').reduce((n, l) => n + (l['suppressed'] as number), 0);
      // Once the last second is over every line is either written or told in a summary: none is lost.
      await expect.poll(() => written() + summarised(), { timeout: 3000 }).toBe(200);
      expect(written()).toBeGreaterThanOrEqual(5);
      expect(written()).toBeLessThanOrEqual(5 * (seconds + 1));
      expect(own.find((l) => l['kind'] === 'malformed request')?.msg).toMatch(/^suppressed \d+ similar lines: malformed request$/);
      await uac.send(request('OPTIONS', `sip:127.0.0.1:${fport}`, uac.port), fport);
      expect(statusOf((await uac.next()).text)).toBe(200);
    } finally {
      sink.close();
      await flooded.stop();
    }
  });
});
