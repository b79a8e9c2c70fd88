#!/usr/bin/env node
/**
 * The JavaScript half of a build, for `pnpm start`: esbuild turns each `src/**\/*.ts` of a workspace
 * package and of the workspace packages it depends on at run time into `dist/**\/*.js` (with source
 * maps), file by file, without type checks or `.d.ts`. It takes well under a second where a full `tsc`
 * of every package takes half a minute, so a fresh clone starts at once. `pnpm build` (tsc) stays the
 * build that checks types and writes the `.d.ts` that publishing needs; both write the same `.js`.
 *
 *   node scripts/transpile.mjs [@tsips/server]     (default: @tsips/server)
 *
 * Prints nothing unless something fails.
 */
import { build } from 'esbuild';
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE_DIRS = ['packages', 'apps'];

/** name → package dir, for every workspace package that has a tsc build (testkit has none). */
function workspacePackages() {
  const byName = new Map();
  for (const base of WORKSPACE_DIRS) {
    for (const entry of readdirSync(join(ROOT, base), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(ROOT, base, entry.name);
      if (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'tsconfig.build.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      byName.set(pkg.name, { dir, pkg });
    }
  }
  return byName;
}

/** The package and its workspace dependencies (run-time ones only: devDependencies are not started). */
function closure(name, all) {
  const seen = new Map();
  const visit = (n) => {
    const p = all.get(n);
    if (!p || seen.has(n)) return;
    seen.set(n, p);
    for (const [dep, range] of Object.entries(p.pkg.dependencies ?? {})) if (String(range).startsWith('workspace:')) visit(dep);
  };
  visit(name);
  if (seen.size === 0) throw new Error(`transpile: no workspace package named "${name}" with a tsconfig.build.json`);
  return [...seen.values()];
}

/** The files tsconfig.build.json compiles: src/**\/*.ts less tests and declarations. */
function sources(dir) {
  const src = join(dir, 'src');
  return readdirSync(src, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(src, f));
}

/**
 * Writes only files whose content changed, each through a rename, so that a reader of dist (a running
 * server, `pnpm pack`) never sees half a file and unchanged files keep their mtime.
 */
function writeChanged(files) {
  let written = 0;
  for (const { path, contents } of files) {
    if (existsSync(path) && Buffer.compare(readFileSync(path), contents) === 0) continue;
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, contents);
    renameSync(tmp, path);
    written++;
  }
  return written;
}

const target = process.argv[2] ?? '@tsips/server';
const packages = closure(target, workspacePackages());
const t0 = performance.now();
const results = await Promise.all(
  packages.map(({ dir }) =>
    build({
      entryPoints: sources(dir),
      outdir: join(dir, 'dist'),
      outbase: join(dir, 'src'),
      // tsconfig.base.json's target and module, so the output matches what tsc writes.
      tsconfig: join(dir, 'tsconfig.build.json'),
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      sourcemap: true,
      bundle: false,
      write: false,
      logLevel: 'error',
    }),
  ),
);
const written = results.reduce((n, r) => n + writeChanged(r.outputFiles), 0);
if (process.env['TSIPS_TRANSPILE_VERBOSE'])
  process.stderr.write(`transpiled ${packages.map((p) => relative(ROOT, p.dir)).join(', ')} in ${Math.round(performance.now() - t0)} ms, ${written} files written\n`);
