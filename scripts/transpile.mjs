#!/usr/bin/env node
/**
 * The JavaScript half of a build, for `pnpm start`: esbuild turns each `src/**\/*.ts` of a workspace
 * package and of the workspace packages it depends on at run time into `dist/**\/*.js` (with source
 * maps), file by file, without type checks or `.d.ts`. It takes well under a second where a full `tsc`
 * of every package takes half a minute, so a fresh clone starts at once. `pnpm build` (tsc) stays the
 * build that checks types and writes the `.d.ts` that publishing needs; both write the same `.js`.
 *
 * A package whose every source has its `.js` in dist, and whose sources and tsconfig have the very
 * mtimes its stamp (node_modules/.cache/tsips-transpile/<dir>) recorded, is skipped without loading
 * esbuild: a later start pays a few hundred stat() calls.
 *
 *   node scripts/transpile.mjs [@tsips/server] [--force]     (default: @tsips/server)
 *
 * Prints nothing unless something fails (TSIPS_TRANSPILE_VERBOSE=1: what it did).
 */
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where each package's stamp lives: outside dist, so that it is never published with it. */
const stampsOf = (root) => join(root, 'node_modules', '.cache', 'tsips-transpile');
const stampOf = (root, dir) => join(stampsOf(root), relative(root, dir).replaceAll('/', '+'));
/** Files besides the sources whose change changes the output. */
const SETTINGS = ['tsconfig.build.json', '../../tsconfig.base.json'];
const WORKSPACE_DIRS = ['packages', 'apps'];

/** name → package dir, for every workspace package that has a tsc build (testkit has none). */
function workspacePackages(root) {
  const byName = new Map();
  for (const base of WORKSPACE_DIRS) {
    if (!existsSync(join(root, base))) continue;
    for (const entry of readdirSync(join(root, base), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, base, entry.name);
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

const mtime = (f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs;

/** What a package's output depends on, as file → mtime: its sources and its compiler settings. */
function inputs(dir, files) {
  return Object.fromEntries([...files, ...SETTINGS.map((s) => join(dir, s))].map((f) => [relative(dir, f), mtime(f) ?? null]));
}

/** True when dist has a .js for each source and every input still has the mtime the stamp recorded. */
function upToDate(root, dir, files) {
  const stampFile = stampOf(root, dir);
  if (mtime(stampFile) === undefined) return false;
  if (readFileSync(stampFile, 'utf8') !== JSON.stringify(inputs(dir, files))) return false;
  return files.every((f) => mtime(join(dir, 'dist', relative(join(dir, 'src'), f).replace(/\.ts$/, '.js'))) !== undefined);
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

/**
 * Transpiles `target` and its run-time workspace dependencies where they are out of date; resolves to
 * what was done. `root` is the workspace (this repository unless a test gives another).
 */
export async function transpile(target = '@tsips/server', { force = false, root = ROOT } = {}) {
  const t0 = performance.now();
  const stale = closure(target, workspacePackages(root))
    .map(({ dir }) => ({ dir, files: sources(dir) }))
    .filter((p) => force || !upToDate(root, p.dir, p.files));
  let written = 0;
  if (stale.length > 0) {
    const esbuild = await import('esbuild');
    const results = await Promise.all(
      stale.map(({ dir, files }) =>
        esbuild.build({
          entryPoints: files,
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
    written = results.reduce((n, r) => n + writeChanged(r.outputFiles), 0);
    mkdirSync(stampsOf(root), { recursive: true });
    for (const { dir, files } of stale) writeFileSync(stampOf(root, dir), JSON.stringify(inputs(dir, files)));
    // The esbuild service is a child process; stop it so that a server started in this process runs alone.
    await esbuild.stop();
  }
  const report = { packages: stale.map((p) => relative(root, p.dir)), written, ms: Math.round(performance.now() - t0) };
  if (process.env['TSIPS_TRANSPILE_VERBOSE'])
    process.stderr.write(`transpile: ${report.packages.length ? report.packages.join(', ') : 'all up to date'}, ${written} files written, ${report.ms} ms\n`);
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  await transpile(
    args.find((a) => !a.startsWith('--')),
    { force: args.includes('--force') },
  );
}
