/** tm statistics, OpenSIPS names; counted only with `enable_stats=1`. */
import type { Counter, ModuleStats, StatSpec } from '@core/sip';

export const tmStats = {
  received_replies: { kind: 'counter', help: 'Replies received that matched a transaction' },
  relayed_replies: { kind: 'counter', help: 'Replies relayed upstream by transactions' },
  local_replies: { kind: 'counter', help: 'Replies generated locally by transactions' },
  UAS_transactions: { kind: 'counter', help: 'Transactions created by received requests' },
  UAC_transactions: { kind: 'counter', help: 'Transactions created locally (t_uac)' },
  '2xx_transactions': { kind: 'counter', help: 'Transactions completed with a 2xx' },
  '3xx_transactions': { kind: 'counter', help: 'Transactions completed with a 3xx' },
  '4xx_transactions': { kind: 'counter', help: 'Transactions completed with a 4xx' },
  '5xx_transactions': { kind: 'counter', help: 'Transactions completed with a 5xx' },
  '6xx_transactions': { kind: 'counter', help: 'Transactions completed with a 6xx' },
} as const satisfies Record<string, StatSpec>;

const NOOP: Counter = { name: 'noop', inc: () => undefined, get: () => 0 };

export class TmStats {
  readonly received: Counter;
  readonly relayed: Counter;
  readonly local: Counter;
  readonly uas: Counter;
  readonly uac: Counter;
  readonly #byClass: Counter[];

  constructor(stats: ModuleStats, enabled: boolean) {
    const c = (n: keyof typeof tmStats): Counter => (enabled ? stats.counter(n) : NOOP);
    this.received = c('received_replies');
    this.relayed = c('relayed_replies');
    this.local = c('local_replies');
    this.uas = c('UAS_transactions');
    this.uac = c('UAC_transactions');
    this.#byClass = [c('2xx_transactions'), c('3xx_transactions'), c('4xx_transactions'), c('5xx_transactions'), c('6xx_transactions')];
  }

  /** A transaction's final status (counted once per transaction). */
  completed(code: number): void {
    this.#byClass[Math.floor(code / 100) - 2]?.inc();
  }
}
