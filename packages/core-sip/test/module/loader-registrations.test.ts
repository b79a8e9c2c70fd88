import { describe, expect, it } from 'vitest';
import { defineModule, type SlotOwner } from '../../src/module/types.js';
import { MemoryDb } from '../../src/storage/memory-db.js';
import type { Db, DbDriver } from '../../src/storage/types.js';
import { harness, rejection } from './helpers.js';

describe('stats, events and MI of a module', () => {
  const dialog = defineModule({
    name: 'dialog',
    version: '1.0.0',
    stats: {
      processed_dialogs: { kind: 'counter', help: 'Dialogs processed since start' },
      active_dialogs: { kind: 'gauge', help: 'Dialogs in progress', noReset: true },
    },
    events: { E_DLG_STATE_CHANGED: { help: 'A dialog changed state', params: ['id', 'old_state', 'new_state'] } },
    // init before mi: TypeScript infers the state type from init only when it comes first.
    init: (ctx) => {
      ctx.stats.counter('processed_dialogs').inc(2);
      ctx.stats.gauge('active_dialogs').set(1);
      return { dialogs: ['d1'] };
    },
    mi: {
      dlg_list: { help: 'Lists the dialogs', params: ['callid?'], handler: (s, p) => ({ dialogs: s.dialogs, callid: p.callid ?? null }) },
    },
  });

  it('registers stats under the module name and hands the module its own', async () => {
    const { loader, stats } = harness([dialog]);
    await loader.init();
    expect(stats.query(['dialog:']).map((s) => [s.name, s.kind, s.value, s.noReset])).toEqual([
      ['processed_dialogs', 'counter', 2, false],
      ['active_dialogs', 'gauge', 1, true],
    ]);
  });

  it('refuses a stat the module did not declare', async () => {
    const m = defineModule({
      name: 'tm',
      version: '1',
      stats: { UAS_transactions: { kind: 'counter', help: 'h' } },
      init: (ctx) => ctx.stats.counter('uas_transactions'),
    });
    const err = await rejection(harness([m]).loader.init());
    const cause = err.cause as Error & { code: string };
    expect(cause.code).toBe('E_MODULE_STAT_UNDECLARED');
    expect(cause.message).toMatchInlineSnapshot(`"module "tm" asked for counter "uas_transactions", which it does not declare in its stats"`);
    const wrongKind = defineModule({ name: 'tm', version: '1', stats: { inuse: { kind: 'counter', help: 'h' } }, init: (ctx) => ctx.stats.gauge('inuse') });
    expect(((await rejection(harness([wrongKind]).loader.init())).cause as { code: string }).code).toBe('E_MODULE_STAT_UNDECLARED');
  });

  it('declares events under the module name', async () => {
    const { loader, events } = harness([dialog]);
    await loader.init();
    expect(events.list()).toEqual([{ module: 'dialog', name: 'E_DLG_STATE_CHANGED', help: 'A dialog changed state', params: ['id', 'old_state', 'new_state'] }]);
  });

  it('registers MI commands under the module name, bound to the module state after init', async () => {
    const { loader, mi } = harness([dialog]);
    await loader.init();
    expect(mi.get('dlg_list')).toMatchObject({ module: 'dialog', name: 'dlg_list', params: ['callid?'] });
    expect(await mi.call('dlg_list', { callid: 'abc' })).toEqual({ dialogs: ['d1'], callid: 'abc' });
  });

  it('answers an MI call that arrives before the module initialised with a failure', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow = defineModule({
      name: 'slow',
      version: '1',
      mi: { slow_status: { help: 'h', handler: (s) => s } },
      init: async () => {
        await gate;
        return 'ready';
      },
    });
    const { loader, mi } = harness([slow]);
    const initDone = loader.init();
    await new Promise((r) => setImmediate(r));
    await expect(mi.call('slow_status', undefined)).rejects.toMatchObject({ message: 'module "slow" is not initialised' });
    release();
    await initDone;
    expect(await mi.call('slow_status', undefined)).toBe('ready');
  });
});

describe('script functions', () => {
  const rr = defineModule({
    name: 'rr',
    version: '1',
    init: () => ({ added: 0 }),
    functions: {
      record_route: { routes: ['request'], handler: (s) => ++s.added },
      loose_route: { handler: () => -1 },
    },
  });

  it('lists every exported function with its module and state', async () => {
    const { loader } = harness([rr]);
    await loader.init();
    const fns = loader.functions();
    expect(fns.map((f) => [f.module, f.name, f.spec.routes])).toEqual([
      ['rr', 'record_route', ['request']],
      ['rr', 'loose_route', undefined],
    ]);
    expect(fns[0]?.state).toBe(loader.state('rr'));
  });

  it('refuses two modules exporting the same function name, before any init', async () => {
    let initRan = false;
    const other = defineModule({
      name: 'path',
      version: '1',
      init: () => void (initRan = true),
      functions: { loose_route: { handler: () => 1 } },
    });
    const err = await rejection(harness([other, rr]).loader.init());
    expect(err.code).toBe('E_FUNCTION_DUPLICATE');
    expect(err.message).toMatchInlineSnapshot(`"script function "loose_route" is exported by both "path" and "rr""`);
    expect(initRan).toBe(false);
  });

  it('refuses functions() before init', () => {
    expect(() => harness([rr]).loader.functions()).toThrow(/before init/);
  });
});

describe('storage drivers', () => {
  it('registers every driver before any init, so an earlier module opens a URL served by a later one', async () => {
    const opened: string[] = [];
    const fakeDriver: DbDriver = {
      schemes: ['fake'],
      open: async (url) => {
        opened.push(url);
        return new MemoryDb(url);
      },
    };
    // The consumer comes first in load order: it does not depend on the driver module.
    const consumer = defineModule({
      name: 'usrloc',
      version: '1',
      init: async (ctx) => {
        const db = await ctx.db('fake://x');
        await db.insert('location', { aor: 'alice' });
        return db;
      },
    });
    const driverModule = defineModule({ name: 'db_fake', version: '1', drivers: () => ({ db: fakeDriver }), init: () => null });
    const { loader } = harness([consumer, driverModule]);
    await loader.init();
    expect(loader.order()).toEqual(['usrloc', 'db_fake']);
    expect(opened).toEqual(['fake://x']);
    const db = loader.state('usrloc') as Db;
    expect(await db.select('location')).toEqual([{ aor: 'alice' }]);
  });

  it('builds drivers from the module params', async () => {
    const { z } = await import('zod');
    let seen: unknown;
    const driverModule = defineModule({
      name: 'db_fake',
      version: '1',
      params: { pool_size: z.number().int().positive().default(4) },
      drivers: (p) => {
        seen = p.pool_size;
        return {};
      },
      init: () => null,
    });
    await harness([driverModule], { modparams: { db_fake: { pool_size: 9 } } }).loader.init();
    expect(seen).toBe(9);
  });

  it('fails an init that opens a URL no module serves, with the masked URL and the package to load', async () => {
    const m = defineModule({ name: 'dialog', version: '1', init: (ctx) => ctx.db('mysql://user:secret@host/db') });
    const err = await rejection(harness([m]).loader.init());
    const cause = err.cause as Error & { code: string };
    expect(cause.code).toBe('E_DB_NO_DRIVER');
    expect(err.message).toMatchInlineSnapshot(
      `"module "dialog" failed to initialise: no DB driver for scheme "mysql" in db_url "mysql://user:***@host/db": load @mod/db-mysql"`,
    );
  });

  it('gives every module the same in-memory DB and cachedb when no URL is set, and closes them after stop', async () => {
    const writer = defineModule({
      name: 'writer',
      version: '1',
      init: async (ctx) => {
        await (await ctx.db(undefined)).insert('t', { k: 1 });
        await (await ctx.cachedb(undefined)).set('key', 'v');
      },
    });
    const reader = defineModule({
      name: 'reader',
      version: '1',
      deps: [{ module: 'writer' }],
      init: async (ctx) => ({ rows: await (await ctx.db(undefined)).select('t'), value: await (await ctx.cachedb('')).get('key') }),
    });
    const { loader } = harness([reader, writer]);
    await loader.init();
    expect(loader.state('reader')).toEqual({ rows: [{ k: 1 }], value: 'v' });
    await loader.stop();
    expect(await (await loader.storage.openDb()).select('t')).toEqual([]);
  });
});

describe('slots', () => {
  class Tx implements SlotOwner {
    readonly slots: unknown[];
    constructor(registry: { create(): unknown[] }) {
      this.slots = registry.create();
    }
  }

  it('lets modules register per-object slots during init and seals them at start', async () => {
    const tm = defineModule({
      name: 'tm',
      version: '1',
      init: (ctx) => ({ txSlots: ctx.slots<Tx>('transaction') }),
      api: (s) => s,
    });
    const dialog = defineModule({
      name: 'dialog',
      version: '1',
      deps: [{ module: 'tm' }],
      init: (ctx) => ({ dlgSlot: ctx.slots<Tx>('transaction').register<string | null>('dialog', () => null), ctx }),
    });
    const { loader } = harness([dialog, tm]);
    await loader.init();
    const { txSlots } = loader.state('tm') as { txSlots: { create(): unknown[]; register(n: string, i: () => unknown): unknown } };
    const { dlgSlot, ctx } = loader.state('dialog') as {
      dlgSlot: { get(t: Tx): string | null; set(t: Tx, v: string): void };
      ctx: { slots(kind: string): { register(n: string, i: () => unknown): unknown } };
    };
    const tx = new Tx(txSlots);
    expect(dlgSlot.get(tx)).toBeNull();
    dlgSlot.set(tx, 'dlg-1');
    expect(dlgSlot.get(tx)).toBe('dlg-1');
    expect(dlgSlot.get(new Tx(txSlots))).toBeNull();

    await loader.start();
    const err = (() => {
      try {
        ctx.slots('transaction').register('late', () => 0);
      } catch (e) {
        return e as Error & { code: string };
      }
      return undefined;
    })();
    expect(err?.code).toBe('E_SLOT_AFTER_START');
    expect(err?.message).toMatchInlineSnapshot(`"slot "late" registered on transaction after start: slots may only be registered during init"`);
    // A kind first asked for after start is sealed from the start.
    expect(() => ctx.slots('dialog').register('x', () => 0)).toThrow(/after start/);
  });
});
