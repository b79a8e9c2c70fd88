/**
 * scripts/transpile.mjs (what `pnpm start` runs before the server) on a workspace of its own in a temp
 * dir: it writes dist/*.js for the target and its run-time workspace deps only, skips what is up to date,
 * and notices a changed, added or missing file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpile } from '../../scripts/transpile.mjs';
import { ROOT } from '../support/tsips.js';

let root: string;

function pkg(dir: string, json: object, files: Record<string, string>): void {
  mkdirSync(join(root, dir, 'src'), { recursive: true });
  writeFileSync(join(root, dir, 'package.json'), JSON.stringify(json));
  writeFileSync(
    join(root, dir, 'tsconfig.build.json'),
    JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { outDir: 'dist', rootDir: 'src' }, include: ['src'] }),
  );
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, dir, 'src', f), text);
}

/** Moves a file's mtime (any change of it counts), so a test does not depend on the file system's timestamp granularity. */
const age = (file: string, seconds: number): void => {
  const t = new Date(Date.now() + seconds * 1000);
  utimesSync(file, t, t);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tsips-transpile-'));
  cpSync(join(ROOT, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  pkg(
    'packages/lib',
    { name: 'lib', type: 'module' },
    {
      'index.ts': 'export const hello = (name: string): string => `hello ${name}`;\nexport type Unused = { a: number };\n',
      'index.test.ts': 'throw new Error("tests are not transpiled");\n',
    },
  );
  pkg('packages/other', { name: 'other', type: 'module' }, { 'index.ts': 'export const other = 1;\n' });
  pkg(
    'apps/app',
    { name: 'app', type: 'module', dependencies: { lib: 'workspace:^' }, devDependencies: { other: 'workspace:^' } },
    {
      'main.ts': "import { hello } from 'lib';\nexport const main = (): string => hello('app');\n",
    },
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('transpile', () => {
  it('writes the JS of the target and its run-time deps, not tests, not dev deps', async () => {
    const r = await transpile('app', { root });
    expect(r.packages.sort()).toEqual(['apps/app', 'packages/lib']);
    const lib = join(root, 'packages/lib/dist/index.js');
    const mod = (await import(pathToFileURL(lib).href)) as { hello: (n: string) => string };
    expect(mod.hello('x')).toBe('hello x');
    expect(readFileSync(lib, 'utf8')).toContain('//# sourceMappingURL=index.js.map');
    expect(existsSync(join(root, 'packages/lib/dist/index.test.js'))).toBe(false);
    expect(existsSync(join(root, 'packages/other/dist'))).toBe(false);
    expect(readFileSync(join(root, 'apps/app/dist/main.js'), 'utf8')).toContain('from "lib"');
  });

  it('skips packages that are up to date, leaving their files untouched', async () => {
    const lib = join(root, 'packages/lib/dist/index.js');
    const before = statSync(lib).mtimeMs;
    expect((await transpile('app', { root })).packages).toEqual([]);
    expect(statSync(lib).mtimeMs).toBe(before);
  });

  it('redoes a package whose source changed, gained a file (even an old one) or lost an output', async () => {
    const src = join(root, 'packages/lib/src/index.ts');
    writeFileSync(src, 'export const hello = (name: string): string => `hi ${name}`;\n');
    age(src, 10);
    expect((await transpile('app', { root })).packages).toEqual(['packages/lib']);
    expect(readFileSync(join(root, 'packages/lib/dist/index.js'), 'utf8')).toContain('hi ${name}');

    const added = join(root, 'apps/app/src/extra.ts');
    writeFileSync(added, 'export const extra = 2;\n');
    age(added, -3600);
    expect((await transpile('app', { root })).packages).toEqual(['apps/app']);
    expect(existsSync(join(root, 'apps/app/dist/extra.js'))).toBe(true);

    rmSync(join(root, 'apps/app/dist/main.js'));
    expect((await transpile('app', { root })).packages).toEqual(['apps/app']);
    expect(existsSync(join(root, 'apps/app/dist/main.js'))).toBe(true);
  });
});
