import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateParams } from '../../src/module/params.js';
import { defineModule } from '../../src/module/types.js';
import { harness, rejection } from './helpers.js';

const tmParams = {
  fr_timer: z.number().int().positive().default(5),
  fr_inv_timer: z.number().int().positive().default(120),
  restart_fr_on_each_reply: z.boolean().default(true),
  onreply_avp_mode: z.union([z.literal(0), z.literal(1)]).default(0),
  tm_auto_100: z.enum(['on', 'off']).default('on'),
  timer_partitions: z.number().int().min(1).max(16).default(1),
  contact_user: z.string().min(1).optional(),
  hostname: z
    .string()
    .refine((s) => !s.includes(' '), 'must not contain spaces')
    .optional(),
};

function fail(raw: Record<string, unknown>) {
  try {
    validateParams('tm', tmParams, raw);
  } catch (e) {
    if (e instanceof Error && 'code' in e) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected the params to be refused');
}

describe('validateParams', () => {
  it('applies defaults and keeps given values', () => {
    expect(validateParams('tm', tmParams, { fr_timer: 2 })).toEqual({
      fr_timer: 2,
      fr_inv_timer: 120,
      restart_fr_on_each_reply: true,
      onreply_avp_mode: 0,
      tm_auto_100: 'on',
      timer_partitions: 1,
    });
    expect(validateParams('rr', undefined, undefined)).toEqual({});
  });

  it('describes a wrong type in plain words', () => {
    expect(fail({ fr_timer: 'abc' })).toMatchInlineSnapshot(`
      {
        "code": "E_MODULE_PARAM",
        "message": "module "tm" param "fr_timer": expected a positive integer, got "abc"",
      }
    `);
  });

  it('describes out-of-range values, enums, booleans, literals and refinements', () => {
    expect(fail({ fr_timer: -5 }).message).toMatchInlineSnapshot(`"module "tm" param "fr_timer": expected a positive integer, got -5"`);
    expect(fail({ fr_timer: 1.5 }).message).toMatchInlineSnapshot(`"module "tm" param "fr_timer": expected a positive integer, got 1.5"`);
    expect(fail({ timer_partitions: 17 }).message).toMatchInlineSnapshot(`"module "tm" param "timer_partitions": expected an integer from 1 to 16, got 17"`);
    expect(fail({ tm_auto_100: 'yes' }).message).toMatchInlineSnapshot(`"module "tm" param "tm_auto_100": expected one of "on", "off", got "yes""`);
    expect(fail({ restart_fr_on_each_reply: 'yes' }).message).toMatchInlineSnapshot(`"module "tm" param "restart_fr_on_each_reply": expected true or false, got "yes""`);
    expect(fail({ onreply_avp_mode: 2 }).message).toMatchInlineSnapshot(`"module "tm" param "onreply_avp_mode": expected 0 or 1, got 2"`);
    expect(fail({ contact_user: '' }).message).toMatchInlineSnapshot(`"module "tm" param "contact_user": expected a non-empty string, got """`);
    expect(fail({ hostname: 'a b' }).message).toMatchInlineSnapshot(`"module "tm" param "hostname": must not contain spaces, got "a b""`);
  });

  it('refuses an unknown param, suggesting the close one', () => {
    expect(fail({ fr_timerr: 3 })).toMatchInlineSnapshot(`
      {
        "code": "E_MODULE_UNKNOWN_PARAM",
        "message": "module "tm" has no param "fr_timerr"; did you mean "fr_timer"?",
      }
    `);
    expect(fail({ dlg_flag: 3 }).message).toMatchInlineSnapshot(`"module "tm" has no param "dlg_flag""`);
  });

  it('mentions how many other problems there are', () => {
    expect(fail({ fr_timer: 'abc', fr_inv_timer: 0, bogus: 1 }).message).toMatchInlineSnapshot(
      `"module "tm" param "fr_timer": expected a positive integer, got "abc" (and 2 more problems)"`,
    );
  });

  it('uses a description given with .describe()', () => {
    const shape = { db_url: z.string().startsWith('mysql://').describe('a mysql:// URL').optional() };
    expect(() => validateParams('dialog', shape, { db_url: 'redis://x' })).toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: module "dialog" param "db_url": expected a mysql:// URL, got "redis://x"]`,
    );
  });
});

describe('params through the loader', () => {
  const tm = defineModule({ name: 'tm', version: '1.0.0', params: tmParams, init: (ctx) => ({ fr: ctx.params.fr_timer }) });

  it('gives init the validated params with defaults', async () => {
    const { loader } = harness([tm], { modparams: { tm: { fr_timer: 3 } } });
    await loader.init();
    expect(loader.state('tm')).toEqual({ fr: 3 });
  });

  it('refuses a bad param before any init runs', async () => {
    let initRan = false;
    const other = defineModule({ name: 'other', version: '1', init: () => void (initRan = true) });
    const { loader } = harness([other, tm], { modparams: { tm: { fr_timer: 'abc' } } });
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_PARAM');
    expect(initRan).toBe(false);
  });

  it('refuses an unknown param with a suggestion', async () => {
    const { loader } = harness([tm], { modparams: { tm: { fr_timerr: 3 } } });
    const err = await rejection(loader.init());
    expect(err.code).toBe('E_MODULE_UNKNOWN_PARAM');
    expect(err.message).toMatchInlineSnapshot(`"module "tm" has no param "fr_timerr"; did you mean "fr_timer"?"`);
  });
});
