/**
 * Rate of garbage (issue 11): the real `tsips` binary with its default config takes 20,000 malformed
 * datagrams a second for 10 s on loopback. Afterwards:
 * - its heap (MI `mem_gc`: a full collection, then `heap_used`) grew by less than 10 MB over a warmed-up
 *   baseline;
 * - it wrote a bounded number of log lines (the peer-triggered lines are rate limited, the rest summarised);
 * - `core:bad_msg_hdr` counted every datagram the kernel delivered to it (sent, minus the drops the kernel
 *   reports for its socket in /proc/net/udp): on a shared 2-core machine it may not get all 200,000, so the
 *   test checks what it received, and prints the rate the sender achieved;
 * - it still answers OPTIONS.
 * Every datagram is checked malformed by the real parser before it is sent, so the count must be exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { miCall, parseMessage } from '@core/sip';
import { freePort, UdpPeer, request, statusOf } from '@tsips/testkit';
import { startTsips, type TsipsProcess } from '../support/tsips.js';

const RATE = 20_000;
const SECONDS = 10;
const MAX_HEAP_GROWTH = 10 * 1024 * 1024;

let tsips: TsipsProcess;
let sender: Socket;
/** A loopback port nobody listens on: the 400s go there and the kernel drops them. */
let nowhere: number;

beforeAll(async () => {
  tsips = await startTsips([], { nodeArgs: ['--expose-gc'] });
  nowhere = await freePort();
  sender = createSocket('udp4');
  await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));
});
afterAll(async () => {
  sender?.close();
  await tsips?.stop();
});

/** True when the tsips parser (with validate) rejects the datagram, as the server's receive path does. */
function malformed(b: Buffer): boolean {
  try {
    parseMessage(b).validate();
    return false;
  } catch {
    return true;
  }
}

/** Varied garbage: requests missing headers (400 to a dead port or to an address a loopback socket cannot reach), bad versions, URIs and CSeqs, broken replies, random bytes. */
function pool(n: number): Buffer[] {
  const out: Buffer[] = [];
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  // Replies go to the source address (RFC 3261 18.2.2); a third of the Vias carry a maddr that a loopback
  // socket cannot reach, so the 400s that cannot be sent are part of the flood too.
  const via = (i: number) => (i % 3 === 0 ? `127.0.0.1:${nowhere};maddr=192.0.2.${i % 250}` : `127.0.0.1:${nowhere}`);
  const kinds: ((i: number) => string | Buffer)[] = [
    (i) => `INVITE sip:u${i}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${via(i)};branch=z9hG4bKg${i}\r\nCSeq: ${i} INVITE\r\nContent-Length: 0\r\n\r\n`,
    (i) =>
      `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${via(i)};branch=z9hG4bKr${i}\r\nFrom: <sip:a${i}@x>;tag=${i}\r\nTo: <sip:a${i}@x>\r\nCall-ID: reg-${i}\r\nCSeq: ${i} INVITE\r\nContent-Length: 0\r\n\r\n`,
    (i) =>
      `OPTIONS sip:${'%'.repeat(1 + (i % 5))}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${via(i)};branch=z9hG4bKo${i}\r\nFrom: <sip:a@x>;tag=${i}\r\nTo: <sip:b@x>\r\nCall-ID: opt-${i}\r\nCSeq: 1 OPTIONS\r\n\r\n`,
    (i) =>
      `OPTIONS sip:x@127.0.0.1 SIP/7.${i % 10}\r\nVia: SIP/2.0/UDP ${via(i)};branch=z9hG4bKv${i}\r\nFrom: <sip:a@x>;tag=${i}\r\nTo: <sip:b@x>\r\nCall-ID: ver-${i}\r\nCSeq: 1 OPTIONS\r\n\r\n`,
    (i) => `SIP/2.0 ${900 + (i % 99)} Odd\r\nVia: SIP/2.0/UDP 127.0.0.1:${nowhere};branch=z9hG4bKs${i}\r\nCall-ID: st-${i}\r\nCSeq: 1 INVITE\r\n\r\n`,
    (i) =>
      `BYE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${via(i)};branch=z9hG4bKd${i}\r\nFrom: <sip:a@x>;tag=1\r\nFrom: <sip:c@x>;tag=2\r\nTo: <sip:b@x>\r\nCall-ID: dup-${i}\r\nCSeq: 2 BYE\r\nMax-Forwards: ${300 + i}\r\n\r\n`,
    (i) => Buffer.from(Array.from({ length: 20 + (i % 400) }, () => rnd(256))),
    (i) => `${'A'.repeat(1 + (i % 30))} ${'\x01'.repeat(i % 7)}\r\n\r\n`,
  ];
  for (let i = 0; out.length < n; i++) {
    const k = kinds[i % kinds.length] as (i: number) => string | Buffer;
    const v = k(i);
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    if (malformed(b)) out.push(b);
  }
  return out;
}

/** The receive-buffer drops the kernel counts for the server's UDP socket on 127.0.0.1:port (last column of /proc/net/udp). */
function kernelDrops(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return Number(f[f.length - 1]);
  }
  throw new Error(`no UDP socket on ${local} in /proc/net/udp`);
}

async function stat(name: string): Promise<number> {
  const r = (await miCall(tsips.miUrl, 'get_statistics', { statistics: [name] })) as Record<string, number>;
  return r[name] ?? 0;
}

async function heapAfterGc(): Promise<number> {
  const r = (await miCall(tsips.miUrl, 'mem_gc')) as { after: { heap_used: number } };
  return r.after.heap_used;
}

/** Sends `total` datagrams from `data` at `rate` a second, at most 2,000 in flight; resolves with what the socket took and the time it took. */
async function blast(data: Buffer[], total: number, rate: number): Promise<{ sent: number; refused: number; seconds: number }> {
  const t0 = performance.now();
  let queued = 0;
  let done = 0;
  let refused = 0;
  let tick: () => void = () => undefined;
  const onSent = (err: Error | null): void => {
    done++;
    if (err) refused++;
    tick();
  };
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (queued < due && queued - done < 2000) {
        sender.send(data[queued % data.length] as Buffer, tsips.sipPort, '127.0.0.1', onSent);
        queued++;
      }
      if (queued >= total && done >= total) return resolve();
      if (queued < total) setTimeout(pump, 1);
    };
    tick = () => {
      if (queued >= total && done >= total) resolve();
    };
    pump();
  });
  return { sent: total - refused, refused, seconds: (performance.now() - t0) / 1000 };
}

/** Waits until the server has read everything the kernel delivered: bad_msg_hdr plus the socket's drops reach `sent`. */
async function drained(badBefore: number, dropsBefore: number, sent: number): Promise<{ received: number; dropped: number }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const received = (await stat('core:bad_msg_hdr')) - badBefore;
    const dropped = kernelDrops(tsips.sipPort) - dropsBefore;
    if (received + dropped >= sent || Date.now() > deadline) return { received, dropped };
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('20,000 malformed datagrams a second for 10 s', () => {
  it('leave the heap within 10 MB, the log bounded, every datagram counted, and OPTIONS answered', { timeout: 180_000 }, async () => {
    const data = pool(5000);
    // Warm-up: the parser and the 400 path compiled, the log limiter's kinds created, before the baseline.
    const warmBad = await stat('core:bad_msg_hdr');
    const warmDrops = kernelDrops(tsips.sipPort);
    const warm = await blast(data, RATE, RATE);
    await drained(warmBad, warmDrops, warm.sent);
    const heap0 = await heapAfterGc();
    const bad0 = await stat('core:bad_msg_hdr');
    const drops0 = kernelDrops(tsips.sipPort);
    const lines0 = tsips.output().split('\n').length;

    const r = await blast(data, RATE * SECONDS, RATE);
    const rate = Math.round(r.sent / r.seconds);
    const { received, dropped } = await drained(bad0, drops0, r.sent);
    const heap1 = await heapAfterGc();
    const lines = tsips.output().split('\n').length - lines0;
    console.log(
      `garbage-rate: sent ${r.sent} malformed datagrams in ${r.seconds.toFixed(1)} s = ${rate}/s (target ${RATE}/s, ${r.refused} refused by the sending socket); ` +
        `server counted ${received}, kernel dropped ${dropped} at its socket; heap ${(heap0 / 1e6).toFixed(1)} MB -> ${(heap1 / 1e6).toFixed(1)} MB after GC; ${lines} log lines`,
    );

    // What the kernel delivered is exactly what the server counted as malformed.
    expect(received + dropped).toBe(r.sent);
    expect(received).toBeGreaterThan(0);
    // The sender ran at a meaningful rate (printed above; a loaded machine gets less than the target).
    expect(rate).toBeGreaterThan(2000);
    expect(heap1 - heap0).toBeLessThan(MAX_HEAP_GROWTH);
    // At most 10 lines per kind per second, plus one summary per kind per second: a few kinds over ~10-20 s.
    expect(lines).toBeLessThan(1000);
    expect(tsips.output()).toMatch(/"msg":"suppressed \d+ similar lines: malformed request"/);
    expect(await stat('sl:failed_replies')).toBeGreaterThan(0);
    // Garbage is garbage, not a bug: nothing caught at a boundary, and nothing left for the last net.
    expect(await stat('core:internal_errors')).toBe(0);
    expect(await stat('core:unhandled_errors')).toBe(0);

    const uac = await UdpPeer.open();
    try {
      await uac.send(request('OPTIONS', `sip:127.0.0.1:${tsips.sipPort}`, uac.port), tsips.sipPort);
      expect(statusOf((await uac.next(5000)).text)).toBe(200);
    } finally {
      uac.close();
    }
    expect(tsips.proc.exitCode).toBeNull();
  });
});
