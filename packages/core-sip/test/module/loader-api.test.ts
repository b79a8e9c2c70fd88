import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineModule, type ModuleContext } from '../../src/module/types.js';
import { harness, rejection } from './helpers.js';

/** The API module `adder` publishes, bound by consumers with `ctx.api('adder')`. */
interface AdderApi {
  add(x: number): number;
}

declare module '@core/sip' {
  interface ModuleApis {
    adder: AdderApi;
    /** A module that exports no API even though it is typed here, for E_API_NONE. */
    apiless: { never(): void };
  }
}

const adder = defineModule({
  name: 'adder',
  version: '1.0.0',
  init: () => ({ base: 40 }),
  api: (s): AdderApi => ({ add: (x) => s.base + x }),
});

const consumer = defineModule({
  name: 'consumer',
  version: '1.0.0',
  deps: [{ module: 'adder' }],
  init: (ctx) => {
    const api = ctx.api('adder');
    expectTypeOf(api).toEqualTypeOf<AdderApi>();
    return { sum: api.add(2) };
  },
});

function moduleUsing(name: string, use: (ctx: ModuleContext) => unknown, deps: string[] = []) {
  return defineModule({ name, version: '1', deps: deps.map((module) => ({ module, onMissing: 'ignore' as const })), init: use });
}

describe('typed module APIs', () => {
  it('binds the API of a declared dependency, typed through ModuleApis', async () => {
    const { loader } = harness([consumer, adder]);
    await loader.init();
    expect(loader.state('consumer')).toEqual({ sum: 42 });
    const api = loader.apiOf('adder')?.api as AdderApi;
    expect(api.add(1)).toBe(41);
  });

  it('refuses the API of a module not declared as a dependency', async () => {
    const { loader } = harness([adder, moduleUsing('sneaky', (ctx) => ctx.api('adder').add(1))]);
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_INIT');
    const cause = err.cause as Error & { code: string };
    expect(cause.code).toBe('E_API_UNDECLARED');
    expect(cause.message).toMatchInlineSnapshot(`"module "sneaky" asked for the API of "adder", which it does not declare as a dependency"`);
    // Declaring it as a dependency is all it takes.
    const ok = harness([adder, moduleUsing('sneaky', (ctx) => ctx.api('adder').add(1), ['adder'])]);
    await ok.loader.init();
    expect(ok.loader.state('sneaky')).toBe(41);
  });

  it('api() throws E_API_MISSING and apiOptional() gives undefined for a soft dep that is not loaded', async () => {
    const { loader } = harness([
      moduleUsing(
        'soft',
        (ctx) => {
          const optional = ctx.apiOptional('adder');
          let code: unknown;
          try {
            ctx.api('adder');
          } catch (e) {
            code = (e as { code?: string }).code;
            expect((e as Error).message).toMatchInlineSnapshot(`"module "soft" needs the API of "adder", which is not loaded"`);
          }
          return { optional, code };
        },
        ['adder'],
      ),
    ]);
    await loader.init();
    expect(loader.state('soft')).toEqual({ optional: undefined, code: 'E_API_MISSING' });
  });

  it('apiOptional() binds a soft dep that is loaded', async () => {
    const { loader } = harness([moduleUsing('soft', (ctx) => ctx.apiOptional('adder')?.add(0), ['adder']), adder]);
    await loader.init();
    expect(loader.state('soft')).toBe(40);
  });

  it('throws E_API_NONE for a loaded dependency that exports no API', async () => {
    const apiless = defineModule({ name: 'apiless', version: '1', init: () => null });
    const { loader } = harness([apiless, moduleUsing('user', (ctx) => ctx.api('apiless'), ['apiless'])]);
    const err = await rejection(loader.init());
    const cause = err.cause as Error & { code: string };
    expect(cause.code).toBe('E_API_NONE');
    expect(cause.message).toMatchInlineSnapshot(`"module "user" asked for the API of "apiless", which exports no API"`);
  });
});
