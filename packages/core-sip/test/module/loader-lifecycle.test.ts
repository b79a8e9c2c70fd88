import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_TIMEOUT_MS } from '../../src/module/loader.js';
import { defineModule, type AnyModule } from '../../src/module/types.js';
import { harness, rejection, sleep } from './helpers.js';

describe('ModuleLoader init failures', () => {
  it('wraps an init failure naming the module, with the cause', async () => {
    const boom = new Error('cannot bind 127.0.0.1:0');
    const { loader } = harness([
      defineModule({ name: 'ok', version: '1', init: () => 1 }),
      defineModule({
        name: 'broken',
        version: '1',
        init: async () => {
          await sleep(1);
          throw boom;
        },
      }),
    ]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_INIT');
    expect(err.message).toMatchInlineSnapshot(`"module "broken" failed to initialise: cannot bind 127.0.0.1:0"`);
    expect(err.cause).toBe(boom);
  });

  /** A loader whose only module never finishes init, and what its init() settled with (undefined while pending). */
  function hungInit(opts: { initTimeoutMs?: number } = {}) {
    const { loader } = harness([defineModule({ name: 'x', version: '1', init: () => new Promise<never>(() => {}) })], opts);
    const outcome: { err?: Error & { code?: string } } = {};
    const done = rejection(loader.init()).then((e) => void (outcome.err = e));
    return { outcome, done };
  }

  it('times out a hung init, naming the module', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { outcome, done } = hungInit({ initTimeoutMs: 50 });
      await vi.advanceTimersByTimeAsync(49);
      expect(outcome.err).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await done;
      expect(outcome.err?.code).toBe('E_MODULE_INIT_TIMEOUT');
      expect(outcome.err?.message).toMatchInlineSnapshot(`"module "x" init did not finish within 50 ms"`);
    } finally {
      vi.useRealTimers();
    }
  });

  it("without initTimeoutMs, times out a hung init after the loader's default (10 s)", async () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(10_000); // the default ModuleLoaderOptions documents
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { outcome, done } = hungInit();
      await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
      expect(outcome.err).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await done;
      expect(outcome.err?.code).toBe('E_MODULE_INIT_TIMEOUT');
      expect(outcome.err?.message).toBe(`module "x" init did not finish within ${DEFAULT_TIMEOUT_MS} ms`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('after a failed init, stop() stops only the modules whose init finished', async () => {
    const stopped: string[] = [];
    const m = (name: string, fail = false): AnyModule =>
      defineModule({
        name,
        version: '1',
        init: () => {
          if (fail) throw new Error('no');
          return name;
        },
        stop: (s) => void stopped.push(s),
      });
    const { loader } = harness([m('a'), m('b', true), m('c')]);
    await rejection(loader.init());
    await loader.stop();
    expect(stopped).toEqual(['a']);
  });
});

describe('ModuleLoader start and stop', () => {
  function tracked(name: string, trace: string[], deps: string[] = [], extra: Partial<AnyModule> = {}): AnyModule {
    return defineModule({
      name,
      version: '1',
      deps: deps.map((module) => ({ module })),
      init: () => void trace.push(`init ${name}`),
      start: () => void trace.push(`start ${name}`),
      stop: () => void trace.push(`stop ${name}`),
      ...extra,
    });
  }

  it('starts in dependency order and stops in reverse', async () => {
    const trace: string[] = [];
    const { loader } = harness([tracked('dialog', trace, ['tm']), tracked('tm', trace, ['sl']), tracked('sl', trace)]);
    await loader.init();
    await loader.start();
    await loader.stop();
    expect(trace).toEqual(['init sl', 'init tm', 'init dialog', 'start sl', 'start tm', 'start dialog', 'stop dialog', 'stop tm', 'stop sl']);
  });

  it('awaits an asynchronous stop before stopping the next module and before resolving', async () => {
    const trace: string[] = [];
    const flushing = defineModule({
      name: 'dialog',
      version: '1',
      deps: [{ module: 'db' }],
      init: () => ({ dirty: 3 }),
      stop: async (s) => {
        await sleep(30);
        trace.push(`flushed ${s.dirty} dialogs`);
      },
    });
    const { loader } = harness([flushing, tracked('db', trace)]);
    await loader.init();
    await loader.start();
    await loader.stop();
    expect(trace).toEqual(['init db', 'start db', 'flushed 3 dialogs', 'stop db']);
  });

  it('keeps stopping the others when one stop throws, and logs the failure', async () => {
    const trace: string[] = [];
    const { loader, lines } = harness([
      tracked('a', trace),
      tracked('b', trace, [], {
        stop: () => {
          throw new Error('disk full');
        },
      }),
      tracked('c', trace),
    ]);
    await loader.init();
    await loader.start();
    await loader.stop();
    expect(trace.filter((t) => t.startsWith('stop'))).toEqual(['stop c', 'stop a']);
    const err = lines.find((l) => l.level === 50);
    expect(err).toMatchObject({ module: 'b', msg: 'module "b" failed to stop' });
  });

  it('does not wait forever for a hung stop', async () => {
    const trace: string[] = [];
    const { loader, lines } = harness([tracked('a', trace), tracked('b', trace, [], { stop: () => new Promise<void>(() => {}) })], { stopTimeoutMs: 40 });
    await loader.init();
    await loader.stop();
    expect(trace).toEqual(['init a', 'init b', 'stop a']);
    expect(lines.some((l) => l.level === 50 && l.module === 'b')).toBe(true);
  });

  it('gives a module the stop budget it asks for (the dialog shutdown flush), the default to the others', async () => {
    const trace: string[] = [];
    const slow = (): Promise<void> => new Promise<void>((r) => setTimeout(r, 150));
    const { loader, lines } = harness(
      [
        tracked('a', trace, [], { stop: slow }),
        defineModule({ name: 'b', version: '1', deps: [{ module: 'a' }], init: () => null, stop: slow, stopTimeoutMs: () => 2000 }),
      ],
      { stopTimeoutMs: 40 },
    );
    await loader.init();
    await loader.stop();
    // b took 150 ms within its own 2 s; a had the loader's 40 ms and timed out.
    expect(lines.filter((l) => l.level === 50).map((l) => l.module)).toEqual(['a']);
  });

  it('is idempotent: a second stop stops nothing twice', async () => {
    const trace: string[] = [];
    const { loader } = harness([tracked('a', trace)]);
    await loader.init();
    await loader.start();
    await Promise.all([loader.stop(), loader.stop()]);
    await loader.stop();
    expect(trace.filter((t) => t === 'stop a')).toHaveLength(1);
  });

  it('wraps a start failure naming the module', async () => {
    const { loader } = harness([
      defineModule({
        name: 'tm',
        version: '1',
        init: () => null,
        start: () => {
          throw new Error('no socket');
        },
      }),
    ]);
    await loader.init();
    const err = await rejection(loader.start());
    expect(err.code).toBe('E_MODULE_START');
    expect(err.message).toMatchInlineSnapshot(`"module "tm" failed to start: no socket"`);
  });

  it('refuses start before init', async () => {
    const { loader } = harness([]);
    expect((await rejection(loader.start())).code).toBe('E_MODULE_STATE');
  });

  it('records and logs how long each module took to init and start', async () => {
    // A fake clock (timers and performance.now) makes the durations exact: 25 ms init, 15 ms start, 0 for fast.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const slow = defineModule({
        name: 'slow',
        version: '1',
        init: () => sleep(25),
        start: () => sleep(15),
      });
      const fast = defineModule({ name: 'fast', version: '1', init: () => 0 });
      const { loader, lines } = harness([slow, fast]);
      const init = loader.init();
      await vi.advanceTimersByTimeAsync(25);
      await init;
      expect(loader.timings().map((t) => t.startMs)).toEqual([undefined, undefined]);
      const start = loader.start();
      await vi.advanceTimersByTimeAsync(15);
      await start;
      expect(loader.timings()).toEqual([
        { module: 'slow', initMs: 25, startMs: 15 },
        { module: 'fast', initMs: 0, startMs: 0 },
      ]);
      const summary = lines.find((l) => /modules initialised in/.test(l.msg));
      expect(summary?.modules).toEqual([
        { module: 'slow', initMs: 25 },
        { module: 'fast', initMs: 0 },
      ]);
      expect(lines.some((l) => l.msg === 'module started' && l.module === 'slow')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
