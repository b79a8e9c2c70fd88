import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineModule, type AnyModule, type ModuleDep } from '../../src/module/types.js';
import { harness, rejection } from './helpers.js';

/** A module that records its init in `log`; deps given as names (hard) or full ModuleDep objects. */
function mod(name: string, deps: readonly (string | ModuleDep)[] = [], log: string[] = []): AnyModule {
  return defineModule({
    name,
    version: '1.0.0',
    deps: deps.map((d) => (typeof d === 'string' ? { module: d } : d)),
    init: () => {
      log.push(name);
    },
  });
}

async function initOrder(mods: (log: string[]) => AnyModule[]): Promise<string[]> {
  const log: string[] = [];
  const { loader } = harness(mods(log));
  await loader.init();
  expect(loader.order()).toEqual(log);
  return log;
}

describe('ModuleLoader ordering', () => {
  it('puts a diamond in dependency order whatever the declaration order', async () => {
    // top → left, right → base
    const order = await initOrder((l) => [mod('top', ['left', 'right'], l), mod('right', ['base'], l), mod('left', ['base'], l), mod('base', [], l)]);
    // left and right are independent: they keep their declaration order (right first), not top's list order.
    expect(order).toEqual(['base', 'right', 'left', 'top']);
  });

  it('keeps declaration order among independent modules', async () => {
    expect(await initOrder((l) => [mod('c', [], l), mod('a', [], l), mod('b', [], l)])).toEqual(['c', 'a', 'b']);
    expect(await initOrder((l) => [mod('x', [], l), mod('y', ['z'], l), mod('w', [], l), mod('z', [], l)])).toEqual(['x', 'z', 'y', 'w']);
  });

  it('orders by a soft dependency that is loaded', async () => {
    const order = await initOrder((l) => [mod('dialog', [{ module: 'rr', onMissing: 'ignore' }], l), mod('rr', [], l)]);
    expect(order).toEqual(['rr', 'dialog']);
  });

  it('reports a cycle with its path', async () => {
    const { loader } = harness([mod('dialog', ['tm']), mod('tm', ['dialog'])]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_DEP_CYCLE');
    expect(err.message).toMatchInlineSnapshot(`"dependency cycle: dialog → tm → dialog"`);
  });

  it('reports a three-module cycle, entered from outside, with only the cycle in the path', async () => {
    const { loader } = harness([mod('entry', ['a']), mod('a', ['b']), mod('b', ['c']), mod('c', ['a'])]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_DEP_CYCLE');
    expect(err.message).toMatchInlineSnapshot(`"dependency cycle: a → b → c → a"`);
  });

  it('treats a soft dependency that is loaded as part of a cycle too', async () => {
    const { loader } = harness([mod('a', [{ module: 'b', onMissing: 'warn' }]), mod('b', ['a'])]);
    expect((await rejection(loader.init())).code).toBe('E_MODULE_DEP_CYCLE');
  });
});

describe('ModuleLoader dependencies', () => {
  it('refuses a missing hard dependency', async () => {
    const { loader } = harness([mod('dialog', ['tm'])]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_DEP_MISSING');
    expect(err.message).toMatchInlineSnapshot(`"module "dialog" requires "tm", which is not loaded"`);
  });

  it('warns about a missing warn-dependency and starts anyway', async () => {
    const { loader, lines } = harness([mod('dialog', [{ module: 'rr', onMissing: 'warn' }])]);
    await loader.init();
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['module "dialog" requires "rr", which is not loaded']);
    expect(loader.order()).toEqual(['dialog']);
  });

  it('says nothing about a missing ignore-dependency', async () => {
    const { loader, lines } = harness([mod('dialog', [{ module: 'rr', onMissing: 'ignore' }])]);
    await loader.init();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(loader.modules()).toEqual([{ name: 'dialog', version: '1.0.0', description: undefined, deps: [{ module: 'rr', onMissing: 'ignore', loaded: false }] }]);
  });

  describe('param-dependent dependency (dialog needs a DB only when db_mode != 0)', () => {
    const dialog = defineModule({
      name: 'dialog',
      version: '1.0.0',
      params: { db_mode: z.number().int().min(0).max(3).default(0) },
      deps: [{ module: 'db_mysql', requiredWhen: (p) => (p.db_mode !== 0 ? `db_mode=${p.db_mode}` : false) }],
      init: (ctx) => ({ mode: ctx.params.db_mode }),
    });
    const dbMysql = defineModule({ name: 'db_mysql', version: '1.0.0', init: () => undefined });

    it('needs no DB module with db_mode 0', async () => {
      const { loader } = harness([dialog], { modparams: { dialog: { db_mode: 0 } } });
      await loader.init();
      expect(loader.state('dialog')).toEqual({ mode: 0 });
    });

    it('fails naming the param when db_mode is 1 and no DB module is loaded', async () => {
      const { loader } = harness([dialog], { modparams: { dialog: { db_mode: 1 } } });
      const err = await rejection(loader.init());
      expect(err.code).toBe('E_DEP_PARAM');
      expect(err.message).toMatchInlineSnapshot(`"module "dialog" requires "db_mysql" because db_mode=1"`);
    });

    it('loads the DB module first when db_mode is 1 and it is loaded', async () => {
      const { loader } = harness([dialog, dbMysql], { modparams: { dialog: { db_mode: 1 } } });
      await loader.init();
      expect(loader.order()).toEqual(['db_mysql', 'dialog']);
    });
  });

  it('refuses a module loaded twice', async () => {
    const { loader } = harness([mod('tm'), mod('rr'), mod('tm')]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_DUPLICATE');
    expect(err.message).toMatchInlineSnapshot(`"module "tm" is loaded twice"`);
  });

  it('refuses modparams for a module that is not loaded, suggesting a close name', async () => {
    const { loader } = harness([mod('dialog')], { modparams: { dialgo: { db_mode: 1 } } });
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_PARAM_UNKNOWN_MODULE');
    expect(err.message).toMatchInlineSnapshot(`"modparams given for module "dialgo", which is not loaded; did you mean "dialog"?"`);
    const far = await rejection(harness([mod('dialog')], { modparams: { usrloc: {} } }).loader.init());
    expect(far.message).toMatchInlineSnapshot(`"modparams given for module "usrloc", which is not loaded"`);
  });
});
