/**
 * Drives an attack on a running SIP server over loopback: the RFC 4475 corpus unmodified and seeded mutations
 * (sip-mutator.ts) over UDP and TCP, while a liveness prober sends OPTIONS to the server itself and demands a
 * 200 within a bound. Shared by test/e2e/attack.test.ts (a CI-sized run) and bench/fuzz.mjs (the long soak).
 *
 * Pacing: datagrams go out in windows (a count and a byte budget below the kernel's default receive buffer),
 * and each window ends with a gated probe: the server's socket is FIFO, so the probe's answer means the window
 * was read and not dropped by the kernel.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { readFileSync } from 'node:fs';
import { Prng } from './prng.js';
import { garbage, mutationAt, type Mutation, type SeedTargets } from './sip-mutator.js';
import { LivenessProber } from './liveness-prober.js';
import { sinkAnswer } from './attack-sink.js';

const HOST = '127.0.0.1';

export interface AttackOptions {
  /** The server's SIP port (UDP and TCP on 127.0.0.1). */
  port: number;
  seed: number;
  /** Index of the first mutation (a soak runs rounds at increasing offsets; 0 for one run). */
  firstIndex?: number;
  /** Mutations sent over UDP. */
  udpCount: number;
  /** Mutations sent over TCP (grouped into connections, with garbage and cut-off streams among them). */
  tcpCount: number;
  /** The RFC 4475 corpus directory (with index.tsv): every message sent unmodified over UDP and TCP first. */
  corpusDir?: string;
  /** False once the server process has exited; checked after every window. */
  alive(): boolean;
  /** Most datagrams between two gated probes. */
  window?: number;
  /** Most bytes between two gated probes (keep under the 212,992-byte default receive buffer). */
  windowBytes?: number;
  probeEveryMs?: number;
  probeTimeoutMs?: number;
  /** Stop sending mutations after this long (the soak's bound); the run still counts as passed. */
  maxMs?: number;
  onProgress?(stats: AttackStats): void;
}

export interface AttackStats {
  corpusUdp: number;
  corpusTcp: number;
  udpSent: number;
  tcpSent: number;
  tcpConnections: number;
  probes: number;
  /** Slowest probe answer seen (ms). */
  probeMaxMs: number;
  /** Datagrams the server sent back to the attacking socket (replies to the mutations). */
  replies: number;
  /** Requests the server relayed to the sink (each answered). */
  relayed: number;
  elapsedMs: number;
}

/** A liveness failure: the message names the seed and the inputs sent just before, for a replay. */
export class AttackFailure extends Error {
  constructor(
    readonly seed: number,
    reason: string,
    readonly lastInputs: string[],
  ) {
    super(`${reason} (seed ${seed}; replay with TSIPS_FUZZ_SEED=${seed})\nlast inputs, oldest first:\n${lastInputs.join('\n')}`);
    this.name = 'AttackFailure';
  }
}

/** A short printable form of an input, for failure reports. */
function describe(label: string, data: Buffer): string {
  const text = JSON.stringify(data.subarray(0, 240).toString('latin1'));
  return `  ${label} (${data.length} B) ${text}${data.length > 240 ? '…' : ''}`;
}

/** The last inputs sent, kept for the failure message. */
class Recent {
  readonly #items: string[] = [];
  add(label: string, data: Buffer): void {
    this.#items.push(describe(label, data));
    if (this.#items.length > 12) this.#items.shift();
  }
  list(): string[] {
    return [...this.#items];
  }
}

function label(m: Mutation): string {
  return `#${m.index} ${m.transport} ${m.kind} [${m.ops.join(',')}]`;
}

async function udpSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  return s;
}

function sendUdp(s: Socket, data: Buffer, port: number): Promise<void> {
  // A datagram the kernel refuses (EMSGSIZE) is the sender's problem, not the server's: counted as sent.
  return new Promise((r) => s.send(data, port, HOST, () => r()));
}

interface CorpusEntry {
  name: string;
  data: Buffer;
}

export function readCorpus(dir: string): CorpusEntry[] {
  return readFileSync(`${dir}index.tsv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0]!)
    .map((name) => ({ name, data: readFileSync(`${dir}${name}.dat`) }));
}

/**
 * One TCP connection: writes `chunks` (each a Buffer, written with a turn of the event loop between them),
 * then ends (or destroys, to cut a message off), and resolves when the socket closed or after `lingerMs`.
 */
function tcpSession(port: number, chunks: Buffer[], end: 'end' | 'destroy', lingerMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s: TcpSocket = connect({ host: HOST, port });
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(finish, lingerMs + 2000);
    s.on('error', finish); // the server closing a stream it cannot frame is correct; a reset is not a failure
    s.on('close', finish);
    s.on('data', () => {});
    s.once('connect', () => {
      void (async () => {
        for (const c of chunks) {
          if (s.destroyed) return;
          s.write(c);
          await new Promise((r) => setImmediate(r));
        }
        if (end === 'destroy') return finish();
        s.end();
        setTimeout(finish, lingerMs);
      })();
    });
  });
}

/** The chunks of one attacking TCP connection: `inputs` mutations arranged by a plan drawn from `rng`. */
function tcpPlan(inputs: Mutation[], rng: Prng): { chunks: Buffer[]; end: 'end' | 'destroy'; plan: string } {
  const plan = rng.pick(['messages', 'messages', 'trickle', 'cut', 'garbage', 'pipelined']);
  const all = Buffer.concat(inputs.map((m) => m.data));
  switch (plan) {
    case 'trickle': {
      // Small random pieces: frames straddle reads everywhere.
      const chunks: Buffer[] = [];
      for (let o = 0; o < all.length;) {
        const n = rng.range(1, 64);
        chunks.push(all.subarray(o, o + n));
        o += n;
        if (chunks.length > 400) {
          chunks.push(all.subarray(o));
          break;
        }
      }
      return { chunks, end: 'end', plan };
    }
    case 'cut': // closed in the middle of a message
      return { chunks: [all.subarray(0, rng.range(1, Math.max(1, all.length - 1)))], end: 'destroy', plan };
    case 'garbage':
      return { chunks: [garbage(rng, rng.range(1, 100_000)), ...inputs.map((m) => m.data)], end: 'end', plan };
    case 'pipelined': // everything in one write
      return { chunks: [all], end: 'end', plan };
    default:
      return { chunks: inputs.map((m) => m.data), end: 'end', plan };
  }
}

/** Runs the attack; resolves with what was sent, rejects with an AttackFailure naming the seed. */
export async function runAttack(o: AttackOptions): Promise<AttackStats> {
  const t0 = Date.now();
  const window = o.window ?? 64;
  const windowBytes = o.windowBytes ?? 96 * 1024;
  const [attacker, probeSock, sink] = await Promise.all([udpSocket(), udpSocket(), udpSocket()]);
  const targets: SeedTargets = { serverPort: o.port, peerPort: attacker.address().port, sinkPort: sink.address().port };
  const stats: AttackStats = { corpusUdp: 0, corpusTcp: 0, udpSent: 0, tcpSent: 0, tcpConnections: 0, probes: 0, probeMaxMs: 0, replies: 0, relayed: 0, elapsedMs: 0 };
  attacker.on('message', () => stats.replies++);
  sinkAnswer(sink, o.seed, stats);
  const prober = new LivenessProber(probeSock, o.port, o.probeTimeoutMs ?? 1000);
  const recent = new Recent();
  const fail = (reason: string): never => {
    throw new AttackFailure(o.seed, reason, recent.list());
  };
  const check = (): void => {
    if (!o.alive()) fail('the server is down (its process exited or it logged a crash)');
    if (prober.failure !== undefined) fail(prober.failure);
  };
  const gate = async (): Promise<void> => {
    await prober.gate();
    check();
  };
  const overTime = (): boolean => o.maxMs !== undefined && Date.now() - t0 > o.maxMs;
  const progress = (): void => {
    stats.probes = prober.count;
    stats.probeMaxMs = prober.maxMs;
    stats.elapsedMs = Date.now() - t0;
    o.onProgress?.({ ...stats });
  };

  prober.start(o.probeEveryMs ?? 200);
  try {
    await gate(); // the server answers before anything else is sent

    if (o.corpusDir !== undefined) {
      const corpus = readCorpus(o.corpusDir);
      for (const c of corpus) {
        recent.add(`rfc4475 ${c.name} udp`, c.data);
        await sendUdp(attacker, c.data, o.port);
        stats.corpusUdp++;
        if (stats.corpusUdp % 8 === 0) await gate();
      }
      await gate();
      // One connection per message, a few at a time.
      for (let i = 0; i < corpus.length; i += 8) {
        const batch = corpus.slice(i, i + 8);
        for (const c of batch) recent.add(`rfc4475 ${c.name} tcp (own connection)`, c.data);
        await Promise.all(batch.map((c) => tcpSession(o.port, [c.data], 'end', 150)));
        stats.corpusTcp += batch.length;
        stats.tcpConnections += batch.length;
        await gate();
      }
      // All of them on one connection, back to back (the server may close it at a message it cannot frame).
      recent.add('rfc4475 all 49 on one tcp connection', Buffer.concat(corpus.map((c) => c.data)));
      await tcpSession(
        o.port,
        corpus.map((c) => c.data),
        'end',
        300,
      );
      stats.corpusTcp += corpus.length;
      stats.tcpConnections++;
      await gate();
    }

    // UDP mutations, in windows.
    let bytes = 0;
    let inWindow = 0;
    const first = o.firstIndex ?? 0;
    for (let i = first; i < first + o.udpCount && !overTime(); i++) {
      const m = mutationAt(o.seed, i, targets, 'udp');
      recent.add(label(m), m.data);
      await sendUdp(attacker, m.data, o.port);
      stats.udpSent++;
      bytes += m.data.length;
      inWindow++;
      if (inWindow >= window || bytes >= windowBytes) {
        await gate();
        inWindow = 0;
        bytes = 0;
        if (stats.udpSent % 2000 < window) progress();
      }
    }
    await gate();

    // TCP mutations: connections of 1–20 inputs, four at a time, each connection's shape from the seed.
    const streamRng = new Prng((o.seed ^ 0x7cf1a3b5 ^ Math.imul(first, 0x85ebca6b)) >>> 0);
    let k = 0;
    while (k < o.tcpCount && !overTime()) {
      const sessions: Promise<void>[] = [];
      for (let c = 0; c < 4 && k < o.tcpCount; c++) {
        const n = Math.min(streamRng.range(1, 20), o.tcpCount - k);
        const inputs: Mutation[] = [];
        for (let j = 0; j < n; j++) inputs.push(mutationAt(o.seed, 0x40000000 + first + k + j, targets, 'tcp'));
        k += n;
        const p = tcpPlan(inputs, streamRng);
        recent.add(`tcp connection (${p.plan}, ${p.end}) of ${inputs.map(label).join(' ')}`, Buffer.concat(p.chunks));
        sessions.push(tcpSession(o.port, p.chunks, p.end, 50));
        stats.tcpSent += n;
        stats.tcpConnections++;
      }
      await Promise.all(sessions);
      await gate();
      if (stats.tcpConnections % 100 < 4) progress();
    }
    await gate();
    // A last look a little later: a crash from a timer (a transaction timing out) shows up after the traffic.
    await new Promise((r) => setTimeout(r, 500));
    await gate();
    progress();
    return { ...stats };
  } finally {
    prober.stop();
    attacker.close();
    probeSock.close();
    sink.close();
  }
}
