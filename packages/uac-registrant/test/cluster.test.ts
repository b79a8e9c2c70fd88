/**
 * Two tsips nodes, each its own process, share a registrant through the sharing tag vip/1 (enable_clustering):
 * only the node with the tag active registers; when the tag moves, the new owner registers within a timer
 * step and the old one stops; when the active node is killed (SIGKILL), the other takes over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKamailioRegistrar, startRedis, waitFor, type KamailioRegistrar, type RedisServer } from '@tsips/testkit';

const NODE = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

class Proc {
  readonly lines: string[] = [];
  #n = 0;
  err = '';
  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (b: Buffer) => {
      partial += b.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    child.stderr!.on('data', (b: Buffer) => (this.err = (this.err + b.toString()).slice(-4000)));
  }

  async line(re: RegExp, ms = 15_000): Promise<string> {
    let found: string | undefined;
    await waitFor(
      () => (found = this.lines.find((l) => re.test(l))) !== undefined,
      ms,
      () => `no ${re}: ${this.lines.slice(-5).join(' | ')} ${this.err}`,
      20,
    );
    return found!;
  }

  async mi(cmd: string, params?: Record<string, unknown>): Promise<unknown> {
    const n = ++this.#n;
    this.child.stdin!.write(`${n} ${cmd} ${params ? JSON.stringify(params) : ''}\n`);
    const l = await this.line(new RegExp(`^[RE] ${n} `), 10_000);
    if (l.startsWith('E')) throw new Error(l.slice(`E ${n} `.length));
    return JSON.parse(l.slice(`R ${n} `.length)) as unknown;
  }

  async state(): Promise<string | undefined> {
    const r = (await this.mi('reg_list')) as { Records: { state: string }[] };
    return r.Records[0]?.state;
  }

  registrations(): number {
    return this.lines.filter((l) => l.startsWith('EV ') && (JSON.parse(l.slice(3)) as { state: number }).state === 3).length;
  }
}

let redis: RedisServer;
let k: KamailioRegistrar;
const procs: Proc[] = [];

function start(id: number, declared: 'active' | 'backup'): Proc {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', NODE, redis.url, String(id), declared], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const p = new Proc(child);
  procs.push(p);
  return p;
}

beforeAll(async () => {
  [redis, k] = await Promise.all([startRedis(), startKamailioRegistrar({ auth: false })]);
}, 30_000);
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all([redis?.stop(), k?.stop()]);
});

const ROW = () => ({ aor: 'sip:trunk@tsips.test', contact: 'sip:trunk@127.0.0.1:5999', registrar: k.uri, cluster_shtag: 'vip/1', expiry: 60 });

describe('uac_registrant with a sharing tag', () => {
  it('only the active node registers; the tag moving and a kill -9 hand the registration over', async () => {
    const a = start(1, 'active');
    await a.line(/^READY/);
    const b = start(2, 'backup');
    await b.line(/^READY/);
    await a.mi('reg_upsert', ROW());
    await b.mi('reg_upsert', ROW());
    await waitFor(
      async () => (await a.state()) === 'REGISTERED_STATE',
      10_000,
      () => 'node 1 did not register',
    );
    expect(await k.contacts('trunk')).toEqual(['sip:trunk@127.0.0.1:5999']);
    // reg_list ends with the tag's name and cluster id, as OpenSIPS 4.0 lists them.
    const listed = ((await a.mi('reg_list')) as { Records: Record<string, unknown>[] }).Records[0]!;
    expect(Object.entries(listed).slice(-2)).toEqual([
      ['shtag', 'vip'],
      ['cluster_id', 1],
    ]);
    // Two more timer rounds: the backup node never sends.
    const rounds = Date.now() + 4000;
    await waitFor(() => Date.now() > rounds, 5000);
    expect(await b.state()).toBe('NOT_REGISTERED_STATE');
    expect(b.lines.some((l) => l.startsWith('EV '))).toBe(false);

    // The tag moves to node 2: it registers within one timer step, node 1 stops.
    await b.mi('clusterer_shtag_set_active', { tag: 'vip/1' });
    await waitFor(
      async () => (await b.state()) === 'REGISTERED_STATE',
      3000,
      () => 'node 2 did not take over',
    );
    await waitFor(
      async () => (await a.state()) === 'NOT_REGISTERED_STATE',
      3000,
      () => 'node 1 did not stop',
    );
    const aRegs = a.registrations();

    // Back to node 1, then node 1 is killed: node 2 takes over once the lease lapses.
    await a.mi('clusterer_shtag_set_active', { tag: 'vip/1' });
    await waitFor(
      async () => (await a.state()) === 'REGISTERED_STATE' && a.registrations() > aRegs,
      3000,
      () => 'node 1 did not take the tag back',
    );
    await waitFor(async () => (await b.state()) === 'NOT_REGISTERED_STATE', 3000);
    const bRegs = b.registrations();
    a.child.kill('SIGKILL');
    await waitFor(
      async () => b.registrations() > bRegs && (await b.state()) === 'REGISTERED_STATE',
      8000,
      () => 'node 2 did not take over after the kill',
    );
    expect(await k.contacts('trunk')).toEqual(['sip:trunk@127.0.0.1:5999']);
  });
});
