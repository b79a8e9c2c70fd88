// Shared fixture: a registry with the core commands over real stats and a logger writing to memory.
import { captureLog } from '@tsips/testkit';
import { createLogger } from '../../src/log.js';
import type { LogControl } from '../../src/log.js';
import { MiRegistryImpl, registerCoreMi } from '../../src/mi/index.js';
import { Stats, registerCoreStats } from '../../src/stats/index.js';
import type { Logger } from 'pino';

export interface CoreSetup {
  mi: MiRegistryImpl;
  stats: Stats;
  lines: Record<string, unknown>[];
  root: Logger;
  control: LogControl;
}

export function coreSetup(): CoreSetup {
  const { destination, lines } = captureLog();
  const { root, control } = createLogger({ destination, level: 'info' });
  const stats = new Stats();
  const core = registerCoreStats(stats);
  core.rcv_requests.inc(3);
  core.rcv_replies.inc(2);
  stats.gauge('dialog', 'active_dialogs', 'live', { noReset: true }).set(4);
  const mi = new MiRegistryImpl(root);
  registerCoreMi(mi, {
    version: '0.1.0',
    startedAt: new Date(Date.now() - 42_000),
    stats,
    log: control,
    modules: () => [{ name: 'tm', version: '0.1.0' }],
  });
  return { mi, stats, lines, root, control };
}
