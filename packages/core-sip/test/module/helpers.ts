/** Builds a ModuleLoader on the real stats, events and MI registries, with a logger that records lines. */
import { captureLog } from '@tsips/testkit';
import { Events } from '../../src/events/registry.js';
import { MiRegistryImpl } from '../../src/mi/registry.js';
import { ModuleLoader, type ModuleLoaderOptions } from '../../src/module/loader.js';
import type { AnyModule } from '../../src/module/types.js';
import type { CoreServices } from '../../src/server/types.js';
import { Stats } from '../../src/stats/registry.js';

export type { LogLine } from '@tsips/testkit';

export function harness(modules: readonly AnyModule[], opts: Partial<ModuleLoaderOptions> = {}) {
  const { log, lines } = captureLog('debug');
  const stats = new Stats();
  const events = new Events(log);
  const mi = new MiRegistryImpl(log);
  // The loader only hands `core` through to modules; these tests' modules do not use it, and the
  // interface grows with the server, so only what exists today is filled in.
  const core = {
    log,
    transport: { sockets: [], send: () => Promise.reject(new Error('no transport in loader tests')) },
  } as unknown as CoreServices;
  const loader = new ModuleLoader({ modules, log, stats, events, mi, core, ...opts });
  return { loader, lines, log, stats, events, mi, core };
}

/** The rejection of `p`, failing the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error('expected a rejection, got a resolution');
}

export { sleep } from '@tsips/testkit';
