/**
 * Loads @core/sip for the in-process benchmarks: the built package (packages/core-sip/dist, what ships) by
 * default, or its TypeScript sources through tsx with --source (to measure uncommitted parser work without
 * a build).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './results.mjs';

export async function loadCoreSip(fromSource) {
  if (fromSource) {
    const { tsImport } = await import('tsx/esm/api');
    const mod = await tsImport(pathToFileURL(join(ROOT, 'packages/core-sip/src/index.ts')).href, import.meta.url);
    return { mod, from: 'packages/core-sip/src (tsx)' };
  }
  const dist = join(ROOT, 'packages/core-sip/dist/index.js');
  if (!existsSync(dist)) throw new Error('packages/core-sip/dist is missing: run `pnpm build` first (or pass --source)');
  return { mod: await import(pathToFileURL(dist).href), from: 'packages/core-sip/dist' };
}
