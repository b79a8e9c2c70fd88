/**
 * Loads an operator config written in TypeScript (or JS) with no build step: tsx compiles it on import.
 * The module must `export default` a ServerConfig (defineConfig) or a function returning one.
 * tsx is registered as a loader for the whole process (not `tsImport`, which gives the config a module
 * namespace of its own): the packages the config imports are then the very ones the server runs, one copy.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';
import { TsipsError, type ServerConfig } from '@core/sip';

export async function loadConfig(file: string): Promise<ServerConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new TsipsError('E_CONFIG', `config file ${path} does not exist`);
  if (/\.[cm]?tsx?$/.test(path)) registerTsx();
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  let cfg = mod.default;
  if (typeof cfg === 'function') cfg = await (cfg as () => unknown)();
  if (cfg === null || typeof cfg !== 'object' || !('listen' in cfg) || !('routes' in cfg)) {
    throw new TsipsError('E_CONFIG', `config file ${path} must export default a config with "listen" and "routes" (use defineConfig)`);
  }
  return cfg as ServerConfig;
}

let registered = false;
function registerTsx(): void {
  if (registered) return;
  register();
  registered = true;
}
