/** A tsips node with tm + uac_auth + uac_registrant on a free loopback port, for the registrant tests. */
import { SipServer, type AnyModule, type EventParams } from '@core/sip';
import tm from '@mod/tm';
import uacAuth from '@mod/uac-auth';
import { waitFor } from '@tsips/testkit';
import registrant from '../src/index.js';

export interface RegEvent extends EventParams {
  aor: string;
  state: number;
  old_state: number;
  code: number;
  reason: string;
  /** When the test saw it (Date.now()). */
  at: number;
}

export interface ListedRecord {
  AOR: string;
  expires: number;
  state: string;
  enabled: 'yes' | 'no';
  last_register_sent: string;
  registration_t_out: string;
  registrar: string;
  binding: string;
  socket?: string;
  [k: string]: unknown;
}

export class Node {
  readonly events: RegEvent[] = [];
  private constructor(readonly server: SipServer) {}

  static async start(
    modparams: Record<string, Record<string, unknown>> = {},
    opts: { modules?: AnyModule[]; listen?: string[]; logDestination?: { write(chunk: string): void } } = {},
  ): Promise<Node> {
    const server = new SipServer({
      listen: opts.listen ?? ['udp:127.0.0.1:0'],
      mi: false,
      log: opts.logDestination !== undefined ? { level: 'info', format: 'json', destination: opts.logDestination } : { level: process.env['REG_TEST_LOG'] ?? 'silent' },
      modules: [tm, uacAuth, ...(opts.modules ?? []), registrant] as AnyModule[],
      modparams: {
        tm: { fr_timer: 1, wt_timer: 0.2, ...modparams['tm'] },
        uac_registrant: { timer_interval: 2, hash_size: 1, failure_retry_interval: 1, ...modparams['uac_registrant'] },
        ...withoutKeys(modparams, ['tm', 'uac_registrant']),
      },
      routes: { request: (ctx) => void ctx.sl_send_reply(404, 'Not Here') },
    });
    const n = new Node(server);
    try {
      await server.start();
    } catch (err) {
      await server.stop().catch(() => undefined);
      throw err;
    }
    server.events.subscribe('E_UAC_REG_STATE', (_n, p) => void n.events.push({ ...p, at: Date.now() } as RegEvent));
    return n;
  }

  get port(): number {
    return this.server.sockets[0]!.port;
  }

  mi(cmd: string, params?: Record<string, unknown>): Promise<unknown> {
    return this.server.mi.call(cmd, params);
  }

  async list(): Promise<ListedRecord[]> {
    return ((await this.mi('reg_list')) as { Records: ListedRecord[] }).Records;
  }

  async one(aor: string, contact: string, registrar: string): Promise<ListedRecord> {
    return ((await this.mi('reg_list', { aor, contact, registrar })) as { Registrant: ListedRecord }).Registrant;
  }

  async waitState(aor: string, state: string, ms = 8000): Promise<ListedRecord> {
    let last: ListedRecord | undefined;
    await waitFor(
      async () => {
        last = (await this.list()).find((r) => r.AOR === aor);
        return last?.state === state;
      },
      ms,
      () => `${aor}: state ${last?.state ?? 'absent'}, waited for ${state}`,
      25,
    );
    return last!;
  }

  stat(name: string): number {
    return this.server.stats.query([`uac_registrant:${name}`])[0]?.value ?? 0;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

function withoutKeys(o: Record<string, Record<string, unknown>>, keys: string[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}
