import { describe, expect, it } from 'vitest';
import { captureLog } from '@tsips/testkit';
import { Events } from '../../src/events/index.js';
import type { EventParams } from '../../src/events/index.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

const memoryLogger = () => captureLog('info');

describe('Events registry', () => {
  it('declares, lists, and rejects duplicates', () => {
    const ev = new Events();
    ev.declare('dialog', 'E_DLG_STATE_CHANGED', 'dialog state changed', ['id', 'old_state', 'new_state']);
    expect(ev.list()).toEqual([{ module: 'dialog', name: 'E_DLG_STATE_CHANGED', help: 'dialog state changed', params: ['id', 'old_state', 'new_state'] }]);
    expect(() => ev.declare('other', 'E_DLG_STATE_CHANGED', '', [])).toThrowErrorMatchingInlineSnapshot(
      `[EventsError: E_EVENT_DUPLICATE: event "E_DLG_STATE_CHANGED" of module "other" is already declared by "dialog"]`,
    );
  });

  it('rejects raising or subscribing to an undeclared event', () => {
    const ev = new Events();
    expect(() => ev.raise('E_NOPE', {})).toThrowErrorMatchingInlineSnapshot(`[EventsError: E_EVENT_UNKNOWN: event "E_NOPE" is not declared]`);
    expect(() => ev.subscribe('E_NOPE', () => {})).toThrow(/E_EVENT_UNKNOWN/);
  });

  it('delivers asynchronously to every subscriber, until unsubscribed', async () => {
    const ev = new Events();
    ev.declare('usrloc', 'E_UL_AOR_INSERT', '', ['aor']);
    const got: string[] = [];
    const off1 = ev.subscribe('E_UL_AOR_INSERT', (name, p) => void got.push(`1:${name}:${String(p['aor'])}`));
    ev.subscribe('E_UL_AOR_INSERT', (_n, p) => void got.push(`2:${String(p['aor'])}`));
    expect(ev.subscribers('E_UL_AOR_INSERT')).toBe(2);
    ev.raise('E_UL_AOR_INSERT', { aor: 'alice' });
    expect(got).toEqual([]); // not delivered inside raise()
    await tick();
    expect(got).toEqual(['1:E_UL_AOR_INSERT:alice', '2:alice']);
    off1();
    off1(); // idempotent
    ev.raise('E_UL_AOR_INSERT', { aor: 'bob' });
    await tick();
    expect(got).toEqual(['1:E_UL_AOR_INSERT:alice', '2:alice', '2:bob']);
  });

  it('a throwing or rejecting handler is logged and does not reach the raiser or other handlers', async () => {
    const { log, lines } = memoryLogger();
    const ev = new Events(log);
    ev.declare('core', 'E_CORE_THRESHOLD', '', []);
    const got: EventParams[] = [];
    ev.subscribe('E_CORE_THRESHOLD', () => {
      throw new Error('sync boom');
    });
    ev.subscribe('E_CORE_THRESHOLD', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    ev.subscribe('E_CORE_THRESHOLD', (_n, p) => void got.push(p));
    expect(() => ev.raise('E_CORE_THRESHOLD', { ms: 120 })).not.toThrow();
    await tick();
    await tick();
    expect(got).toEqual([{ ms: 120 }]);
    const errors = lines.filter((l) => l['msg'] === 'event handler failed');
    expect(errors.map((l) => (l['err'] as { message: string }).message).sort()).toEqual(['async boom', 'sync boom']);
    expect(errors[0]?.['event']).toBe('E_CORE_THRESHOLD');
  });

  it('hands failing handlers to onError instead of the log when given (the server counts them)', async () => {
    const { log, lines } = memoryLogger();
    const seen: string[] = [];
    const ev = new Events(log, (name, err) => void seen.push(`${name}: ${(err as Error).message}`));
    ev.declare('core', 'E_CORE_THRESHOLD', '', []);
    ev.subscribe('E_CORE_THRESHOLD', () => {
      throw new Error('sync boom');
    });
    ev.subscribe('E_CORE_THRESHOLD', () => Promise.reject(new Error('async boom')));
    ev.raise('E_CORE_THRESHOLD', {});
    await tick();
    await tick();
    expect(seen.sort()).toEqual(['E_CORE_THRESHOLD: async boom', 'E_CORE_THRESHOLD: sync boom']);
    expect(lines).toEqual([]);
  });

  it('raising with no subscriber schedules nothing', async () => {
    const ev = new Events();
    ev.declare('m', 'E_X', '', []);
    const late: string[] = [];
    ev.raise('E_X', {});
    // a subscriber added right after must not see an event raised before it subscribed
    ev.subscribe('E_X', (n) => void late.push(n));
    await tick();
    expect(late).toEqual([]);
  });
});
