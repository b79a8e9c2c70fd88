/**
 * Script functions the proxy tests do not reach: t_replicate, t_write_req (FIFO), t_write_unix (unix
 * socket) with tw_append, t_cancel_branch and t_cancel_call from onreply_route, and MI t_uac_cancel.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UdpPeer, request, statusOf, replyTo, methodOf, nextMatching, headerOf, finalOf } from '@tsips/testkit';
import { startProxy, type Proxy } from './support/proxy.js';
import { expectNothingBeforeMarker } from './support/barrier.js';

let p: Proxy;
let uac: UdpPeer;
let uas: UdpPeer;
let uas2: UdpPeer;
let dir: string;

beforeAll(async () => {
  p = await startProxy({ tw_append: ['append1:Email=$avp(mail);UA=$hdr(User-Agent);$rb;$ci;src=$si;sport=$sp;code=$T_reply_code', 'append2:subj=hdr[Subject]'] });
  uac = await UdpPeer.open();
  uas = await UdpPeer.open();
  uas2 = await UdpPeer.open();
  dir = await mkdtemp(join(tmpdir(), 'tsips-tm-write-'));
});
afterAll(async () => {
  for (const x of [uac, uas, uas2]) x.close();
  await p.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  p.routes.request = () => undefined;
  for (const k of Object.keys(p.routes.onreply)) delete p.routes.onreply[k];
  for (const peer of [uac, uas, uas2]) while (!(await peer.silent(20)));
});

const uri = (peer: UdpPeer) => `sip:bob@127.0.0.1:${peer.port}`;

describe('t_replicate', () => {
  it('sends a copy to the second destination; its replies are never relayed upstream; both transactions end', async () => {
    let rc = 0;
    const rcvReplies = p.server.stats.query(['core:rcv_replies'])[0]?.value ?? 0;
    p.routes.request = async (ctx) => {
      rc = await ctx.t_replicate(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('MESSAGE', uri(uas), uac.port, { callId: 'repl-1', body: 'hi', headers: ['Content-Type: text/plain'] }), p.port);
    const copy = await uas2.next();
    const main = await uas.next();
    expect(rc).toBe(1);
    expect(methodOf(copy.text)).toBe('MESSAGE');
    expect(copy.text.startsWith(`MESSAGE ${uri(uas2)} SIP/2.0`)).toBe(true);
    expect(main.text.startsWith(`MESSAGE ${uri(uas)} SIP/2.0`)).toBe(true);
    expect(headerOf(copy.text, 'Via')).not.toBe(headerOf(main.text, 'Via')); // two client transactions
    // The copy is answered first, with an error: it must not reach the UAC.
    await uas2.send(replyTo(copy.text, 500, 'Broken', { toTag: 'r' }), p.port);
    await expect.poll(() => p.server.stats.query(['core:rcv_replies'])[0]?.value).toBe(rcvReplies + 1);
    await expectNothingBeforeMarker(p, uac, 'repl-1');
    await uas.send(replyTo(main.text, 202, 'Accepted', { toTag: 'm' }), p.port);
    const r = await finalOf(uac, 'repl-1');
    expect(statusOf(r.text)).toBe(202);
    await expectNothingBeforeMarker(p, uac, 'repl-1');
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 2000 }).toBe(0);
  });

  it('replicates to the appended branches too, and a copy that is never answered is freed after its timeout', async () => {
    p.routes.request = async (ctx) => {
      ctx.append_branch(uri(uas));
      await ctx.t_replicate(uri(uas2), '0x4');
      ctx.sl_send_reply(200, 'Logged');
    };
    await uac.send(request('OPTIONS', 'sip:log@127.0.0.1', uac.port, { callId: 'repl-2' }), p.port);
    expect(statusOf((await uac.next()).text)).toBe(200);
    expect(methodOf((await uas2.next()).text)).toBe('OPTIONS');
    expect(methodOf((await uas.next()).text)).toBe('OPTIONS');
    expect(p.stat('inuse_transactions')).toBe(1);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 3000 }).toBe(0); // fr_timer 1 s + wt_timer
    await expectNothingBeforeMarker(p, uac, 'repl-2'); // no 408 for a replicated request
  });
});

/** Opens the read end of a FIFO (non-blocking, so the open does not wait for a writer) and collects text. */
/** The unix-dgram addon (CommonJS, untyped), for a real unix datagram receiver. */
function unixDgram(): { createSocket(t: 'unix_dgram'): { on(e: 'message', cb: (b: Buffer) => void): void; bind(p: string): void; close(): void } } {
  return createRequire(import.meta.url)('unix-dgram') as ReturnType<typeof unixDgram>;
}

function readFifo(path: string): { text: () => string; close: () => void } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const s = new Socket({ fd, readable: true, writable: false });
  let buf = '';
  s.on('data', (d: Buffer) => (buf += d.toString('utf8')));
  return { text: () => buf, close: () => s.destroy() };
}

describe('t_write_req / t_write_unix (the OpenSIPS line format)', () => {
  /** The 20 lines (the last ends the body), for a MESSAGE to 127.0.0.1 with a transaction `id`. */
  function expectLines(lines: string[], o: { action: string; callId: string; id: string; ruri: string; append: string[]; body: string }): void {
    expect(lines.slice(0, 18)).toEqual([
      '0.3',
      `sip_request.${o.action}`,
      'MESSAGE',
      o.ruri.slice(4, o.ruri.indexOf('@')),
      '127.0.0.1',
      '127.0.0.1',
      String(p.port),
      o.ruri,
      `sip:alice@127.0.0.1:${uac.port}`, // the caller's Contact: where the application's requests go
      expect.stringMatching(/^<sip:alice@127\.0\.0\.1>;tag=a\d+$/),
      '<sip:bob@example.com>',
      o.callId,
      expect.stringMatching(/^a\d+$/),
      '',
      '1',
      o.id,
      '.', // no Record-Route: no route set
      '.',
    ]);
    expect(lines.slice(18)).toEqual(['P-MsgFlags: 0', ...o.append, '.', ...o.body.split('\n'), '']);
  }

  it('t_write_req writes the request, the tw_append elements (any pseudo-variable) and the body to a FIFO', async () => {
    const fifo = join(dir, 'vm_fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = readFifo(fifo);
    let rc = 0;
    let id = '';
    p.routes.request = async (ctx) => {
      ctx.setAvp('mail', 'bob@example.com');
      ctx.t_newtran();
      id = (p.server.loader.apiOf('tm')!.api as { getTransaction: (c: unknown) => { id: string } | undefined }).getTransaction(ctx)!.id;
      rc = await ctx.t_write_req('voicemail/append1', fifo);
      ctx.t_reply(202, 'Queued');
    };
    await uac.send(
      request('MESSAGE', 'sip:vm@127.0.0.1', uac.port, { callId: 'write-1', headers: ['User-Agent: phone/1.0', 'Content-Type: text/plain'], body: 'hello vm' }),
      p.port,
    );
    expect(statusOf((await uac.next()).text)).toBe(202);
    expect(rc).toBe(1);
    await expect.poll(() => reader.text().endsWith('hello vm\n')).toBe(true);
    const lines = reader.text().split('\n');
    reader.close();
    expectLines(lines, {
      action: 'voicemail',
      callId: 'write-1',
      id,
      ruri: 'sip:vm@127.0.0.1',
      append: ['Email: bob@example.com', 'UA: phone/1.0', 'ci: write-1', 'src: 127.0.0.1', `sport: ${uac.port}`, 'code: 0'],
      body: 'hello vm',
    });
  });

  it('t_write_req returns -1 when no application has the FIFO open, and without a transaction', async () => {
    const fifo = join(dir, 'nobody_fifo');
    execFileSync('mkfifo', [fifo]);
    const rcs: number[] = [];
    p.routes.request = async (ctx) => {
      rcs.push(await ctx.t_write_req('x', fifo)); // no transaction yet
      ctx.t_newtran();
      rcs.push(await ctx.t_write_req('x', fifo)); // nobody reading
      ctx.t_reply(500, 'no app');
    };
    await uac.send(request('MESSAGE', 'sip:vm@127.0.0.1', uac.port), p.port);
    expect(statusOf((await uac.next()).text)).toBe(500);
    expect(rcs).toEqual([-1, -1]);
  });

  it('t_write_unix sends one datagram to a unix datagram socket; the request is answered 408 if the application never replies', async () => {
    const path = join(dir, 'logger.sock');
    const got: Buffer[] = [];
    const sock = unixDgram().createSocket('unix_dgram');
    sock.on('message', (b: Buffer) => void got.push(b));
    sock.bind(path);
    let rc = 0;
    let id = '';
    p.routes.request = async (ctx) => {
      ctx.t_newtran();
      id = (p.server.loader.apiOf('tm')!.api as { getTransaction: (c: unknown) => { id: string } | undefined }).getTransaction(ctx)!.id;
      rc = await ctx.t_write_unix('logger/append2', path);
    };
    await uac.send(request('MESSAGE', 'sip:log@127.0.0.1', uac.port, { callId: 'write-2', headers: ['Subject: hi there'] }), p.port);
    await expect.poll(() => got.length).toBe(1);
    expect(rc).toBe(1);
    expectLines(got[0]!.toString('utf8').split('\n'), { action: 'logger', callId: 'write-2', id, ruri: 'sip:log@127.0.0.1', append: ['subj: hi there'], body: '.' });
    // Nobody answered through MI t_reply: the blind UAC times out after fr_timer (1 s here).
    const timeout = await finalOf(uac, 'write-2', 3000);
    expect(statusOf(timeout.text)).toBe(408);
    sock.close();
    // Nobody listening any more: -1.
    p.routes.request = async (ctx) => {
      ctx.t_newtran();
      rc = await ctx.t_write_unix('logger/append2', path);
      ctx.t_reply(500, 'no logger');
    };
    await uac.send(request('MESSAGE', 'sip:log@127.0.0.1', uac.port, { callId: 'write-3' }), p.port);
    await finalOf(uac, 'write-3');
    expect(rc).toBe(-1);
  });

  it('t_write_unix gives up after unix_tx_timeout when the receiver never reads (its queue is full)', async () => {
    const q = await startProxy({ unix_tx_timeout: 0.3 });
    const path = join(dir, 'stuck.sock');
    // A real receiver that binds and never reads: python3's socket module (on every Debian machine).
    const py = spawn(
      'python3',
      ['-c', `import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready',flush=True)\ntime.sleep(60)`, path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((res, rej) => {
        py.once('error', rej);
        py.stdout.once('data', () => res());
      });
      const rcs: { rc: number; ms: number }[] = [];
      q.routes.request = async (ctx) => {
        ctx.t_newtran();
        const t0 = Date.now();
        const rc = await ctx.t_write_unix('stuck', path);
        rcs.push({ rc, ms: Date.now() - t0 });
        ctx.t_reply(200, 'OK');
      };
      // The kernel queues a few datagrams (net.unix.max_dgram_qlen); then the writes wait and fail.
      for (let i = 0; i < 40 && !rcs.some((r) => r.rc < 0); i++) {
        await uac.send(request('MESSAGE', 'sip:log@127.0.0.1', uac.port, { callId: `stuck-${i}` }), q.port);
        await finalOf(uac, `stuck-${i}`, 5000);
      }
      const failed = rcs.find((r) => r.rc < 0);
      expect(failed).toBeDefined();
      expect(failed!.ms).toBeGreaterThanOrEqual(250);
      expect(rcs[0]!.rc).toBe(1);
    } finally {
      py.kill();
      await q.stop();
    }
  });

  it('a tw_append naming something that is not a pseudo-variable stops the start, naming it', async () => {
    await expect(startProxy({ tw_append: 'bad:x=$hdr(' })).rejects.toThrow(/tw_append "bad:x=\$hdr\(": "\$hdr\(" is not a pseudo-variable/);
  });
});

describe('t_cancel_branch / t_cancel_call (onreply_route)', () => {
  it('t_cancel_branch CANCELs only the branch that sent the 183; the other answers the call', async () => {
    p.routes.onreply.r = (ctx) => {
      if (ctx.t_check_status('183') > 0) ctx.t_cancel_branch();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_reply('r');
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'cb-1' }), p.port);
    const a = await uas.next();
    await uas.send(replyTo(a.text, 100, 'Trying'), p.port); // stops timer A on this branch
    const b = await uas2.next();
    await uas2.send(replyTo(b.text, 183, 'Session Progress', { toTag: 'b' }), p.port);
    const cancel = await nextMatching(uas2, (t) => methodOf(t) === 'CANCEL');
    expect(headerOf(cancel.text, 'Via')).toBe(headerOf(b.text, 'Via'));
    await uas2.send(replyTo(cancel.text, 200, 'OK', { toTag: 'b' }), p.port);
    await uas2.send(replyTo(b.text, 487, 'Request Terminated', { toTag: 'b' }), p.port);
    expect(methodOf((await nextMatching(uas2, (t) => methodOf(t) === 'ACK')).text)).toBe('ACK');
    await expectNothingBeforeMarker(p, uas, 'cb-1'); // nothing for the other branch
    await uas.send(replyTo(a.text, 200, 'OK', { toTag: 'a' }), p.port);
    expect(statusOf((await finalOf(uac, 'cb-1')).text)).toBe(200);
  });

  it('t_cancel_call CANCELs every pending branch, and the INVITE ends with 487', async () => {
    p.routes.onreply.r = (ctx) => {
      if (ctx.hdr('User-Agent') === 'Snom') ctx.t_cancel_call();
    };
    p.routes.request = async (ctx) => {
      ctx.t_on_reply('r');
      ctx.append_branch(uri(uas2));
      await ctx.t_relay();
    };
    await uac.send(request('INVITE', uri(uas), uac.port, { callId: 'cc-1' }), p.port);
    const a = await uas.next();
    const b = await uas2.next();
    await uas2.send(replyTo(b.text, 180, 'Ringing', { toTag: 'b' }), p.port);
    await uas.send(replyTo(a.text, 180, 'Ringing', { toTag: 'a', headers: ['User-Agent: Snom'] }), p.port);
    const ca = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    const cb = await nextMatching(uas2, (t) => methodOf(t) === 'CANCEL');
    for (const [peer, inv, c, tag] of [
      [uas, a, ca, 'a'],
      [uas2, b, cb, 'b'],
    ] as const) {
      await peer.send(replyTo(c.text, 200, 'OK', { toTag: tag }), p.port);
      await peer.send(replyTo(inv.text, 487, 'Request Terminated', { toTag: tag }), p.port);
    }
    expect(statusOf((await finalOf(uac, 'cc-1')).text)).toBe(487);
  });
});

describe('MI t_uac_cancel', () => {
  it('CANCELs a pending INVITE sent with t_uac_dlg (found by Call-ID and CSeq); 481 when there is none', async () => {
    const res = p.server.mi.call('t_uac_dlg', {
      method: 'INVITE',
      ruri: uri(uas),
      next_hop: '.',
      headers: `From: <sip:mi@127.0.0.1>\r\nTo: <${uri(uas)}>\r\nCall-ID: mi-cancel-1\r\nCSeq: 7 INVITE\r\nContact: <sip:mi@127.0.0.1>\r\n`,
    });
    const inv = await uas.next();
    expect(headerOf(inv.text, 'CSeq')).toBe('7 INVITE');
    await uas.send(replyTo(inv.text, 180, 'Ringing', { toTag: 'u' }), p.port);
    await expect(p.server.mi.call('t_uac_cancel', { callid: 'mi-cancel-1', cseq: 8 })).rejects.toThrow(/no such transaction/);
    await expect
      .poll(async () => {
        try {
          return await p.server.mi.call('t_uac_cancel', { callid: 'mi-cancel-1', cseq: 7 });
        } catch {
          return 'not yet';
        }
      })
      .toBe('OK');
    const cancel = await nextMatching(uas, (t) => methodOf(t) === 'CANCEL');
    expect(headerOf(cancel.text, 'CSeq')).toBe('7 CANCEL');
    await uas.send(replyTo(cancel.text, 200, 'OK', { toTag: 'u' }), p.port);
    await uas.send(replyTo(inv.text, 487, 'Request Terminated', { toTag: 'u' }), p.port);
    expect(await res).toMatchObject({ Status: '487 Request Terminated' });
    await expect(p.server.mi.call('t_uac_cancel', { callid: 'mi-cancel-1', cseq: 7 })).rejects.toThrow(/completed|no such/);
  });
});

describe('transactions the script leaves unanswered', () => {
  it('t_newtran with no reply nor relay: freed after fr_timer, no reply sent', async () => {
    p.routes.request = (ctx) => {
      ctx.t_newtran();
    };
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000 }).toBe(0); // earlier tests' freed
    const created = p.stat('UAS_transactions');
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 'guard-1' }), p.port);
    // The counter, not the gauge: a starved test process could poll past the transaction's whole ~1.2 s life.
    await expect.poll(() => p.stat('UAS_transactions'), { timeout: 5000 }).toBe(created + 1);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000 }).toBe(0);
    await expectNothingBeforeMarker(p, uac, 'guard-1');
    await expectNothingBeforeMarker(p, uas, 'guard-1');
  });

  it('t_relay that sends nothing and, by flag 0x2, replies nothing: freed after fr_timer all the same', async () => {
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000 }).toBe(0); // earlier tests' freed
    let rc = 0;
    p.routes.request = async (ctx) => {
      rc = await ctx.t_relay('udp:no-such-host.invalid:5060', 2);
    };
    const created = p.stat('UAS_transactions');
    await uac.send(request('OPTIONS', uri(uas), uac.port, { callId: 'guard-2' }), p.port);
    await expect.poll(() => rc, { timeout: 3000 }).toBe(-4);
    expect(p.stat('UAS_transactions')).toBe(created + 1);
    await expect.poll(() => p.stat('inuse_transactions'), { timeout: 5000 }).toBe(0);
    await expectNothingBeforeMarker(p, uac, 'guard-2');
  });
});
