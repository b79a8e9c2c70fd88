/**
 * Loads an operator config written in TypeScript (or JS) with no build step: tsx compiles it on import.
 * The module must `export default` a ServerConfig (defineConfig) or a function returning one.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';
import { TsipsError, type ServerConfig } from '@core/sip';

export async function loadConfig(file: string): Promise<ServerConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new TsipsError('E_CONFIG', `config file ${path} does not exist`);
  const mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
  let cfg = mod.default;
  if (typeof cfg === 'function') cfg = await (cfg as () => unknown)();
  if (cfg === null || typeof cfg !== 'object' || !('listen' in cfg) || !('routes' in cfg)) {
    throw new TsipsError('E_CONFIG', `config file ${path} must export default a config with "listen" and "routes" (use defineConfig)`);
  }
  return cfg as ServerConfig;
}
