/**
 * An attack on the real binary: `tsips` with its default config (what `pnpm start` runs), real sockets,
 * fed the RFC 4475 corpus unmodified and tens of thousands of seeded mutations over UDP and TCP while an
 * OPTIONS liveness probe must be answered within 1 s; afterwards it must still relay a real sipp call.
 *
 * The binary: apps/server/dist/bin.js when the workspace is built (`pnpm test` builds before vitest), else
 * the sources through tsx (a bare `pnpm vitest run` on a fresh clone), said on stdout. The only deviation
 * from `pnpm start` is the ports: `--listen udp:… --listen tcp:… --mi-port …` on free ones, so parallel
 * runs do not collide on 5060/8888.
 *
 * Replay a failure: TSIPS_FUZZ_SEED=<seed from the message> pnpm vitest run test/e2e/attack.test.ts
 * (one input by the index the message names: pnpm fuzz -- --seed <seed> --show <index>[,tcp:<index>]).
 * Counts: TSIPS_ATTACK_UDP / TSIPS_ATTACK_TCP (defaults sized for ~60 s on a loaded 2-core machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrashWatch, RFC4475_DIR, runAttack, seedFromEnv, type AttackStats } from '@tsips/testkit';
import { isBuilt, startTsips, type TsipsProcess } from '../support/tsips.js';
import { callsThrough } from '../support/sipp.js';

const SEED = seedFromEnv();
const UDP_COUNT = Number(process.env.TSIPS_ATTACK_UDP ?? 20_000);
const TCP_COUNT = Number(process.env.TSIPS_ATTACK_TCP ?? 3_000);
let tsips: TsipsProcess;
/** Set when the process exits; the watch holds the first crash-like output line (a stack, an unhandled rejection). */
let exited: string | undefined;
const watch = new CrashWatch();
let stats: AttackStats | undefined;

beforeAll(async () => {
  const built = isBuilt();
  process.stdout.write(
    `attack: seed ${SEED} (TSIPS_FUZZ_SEED=${SEED} replays it), ${UDP_COUNT} UDP + ${TCP_COUNT} TCP mutations, binary ${built ? 'apps/server/dist/bin.js' : 'apps/server/src/bin.ts through tsx (not built)'}\n`,
  );
  tsips = await startTsips([], { built });
  tsips.proc.once('exit', (code, signal) => (exited = `code ${code} signal ${signal}`));
  tsips.proc.stdout?.on('data', (d: Buffer) => watch.push(d.toString()));
  tsips.proc.stderr?.on('data', (d: Buffer) => watch.push(d.toString()));
});
afterAll(async () => {
  await tsips?.stop();
});

/** Resolves once the process has exited, or after `ms` (a crash's exit event can trail its output). */
async function exitWithin(ms: number): Promise<void> {
  if (exited !== undefined) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    tsips.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

describe(`attack on the real binary (seed ${SEED})`, () => {
  it('survives the RFC 4475 corpus and the mutations with every liveness probe answered within 1 s', async () => {
    try {
      stats = await runAttack({
        port: tsips.sipPort,
        seed: SEED,
        udpCount: UDP_COUNT,
        tcpCount: TCP_COUNT,
        corpusDir: RFC4475_DIR,
        alive: () => exited === undefined && watch.found === '',
        probeEveryMs: 200,
        probeTimeoutMs: 1000,
      });
    } catch (err) {
      if (watch.found !== '') await exitWithin(2000);
      throw new Error(
        `${(err as Error).message}\nserver ${exited === undefined ? 'still running' : `exited (${exited})`}; its output:\n${watch.found || tsips.output().slice(-3000)}`,
      );
    }
    process.stdout.write(`attack (seed ${SEED}): ${JSON.stringify(stats)}\n`);
    expect(exited, `seed ${SEED}: the server exited`).toBeUndefined();
    expect(stats.corpusUdp).toBe(49);
    expect(stats.corpusTcp).toBe(98);
    expect(stats.udpSent).toBe(UDP_COUNT);
    expect(stats.tcpSent).toBe(TCP_COUNT);
    // The server answered and relayed for real: not everything was dropped on the floor.
    expect(stats.replies, `seed ${SEED}`).toBeGreaterThan(UDP_COUNT / 10);
    expect(stats.relayed, `seed ${SEED}`).toBeGreaterThan(UDP_COUNT / 50);
    expect(watch.found, `seed ${SEED}: the server logged a crash-like error`).toBe('');
  }, 150_000);

  it('still relays a real call (sipp UAC → tsips → sipp UAS) afterwards', async () => {
    expect(exited, `seed ${SEED}: the server exited`).toBeUndefined();
    const { uac: a, uas: b } = await callsThrough(tsips.sipPort, { kind: 'call', calls: 1 });
    expect(a.code, `seed ${SEED}\n${a.out}`).toBe(0);
    expect(a.successful).toBe(1);
    expect(b.code, `seed ${SEED}\n${b.out}`).toBe(0);
    expect(exited, `seed ${SEED}: the server exited`).toBeUndefined();
    expect(watch.found, `seed ${SEED}`).toBe('');
  }, 40_000);
});
