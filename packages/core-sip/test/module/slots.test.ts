import { describe, expect, it } from 'vitest';
import { SlotRegistry } from '../../src/module/slots.js';
import type { SlotOwner } from '../../src/module/types.js';

class Dialog implements SlotOwner {
  readonly slots: unknown[];
  constructor(reg: SlotRegistry<Dialog>) {
    this.slots = reg.create();
  }
}

describe('SlotRegistry', () => {
  it('gives every owner a fixed-size array with each slot at its initial value', () => {
    const reg = new SlotRegistry<Dialog>('dialog');
    const counter = reg.register('counter', () => 0);
    const list = reg.register<string[]>('list', () => []);
    const a = new Dialog(reg);
    const b = new Dialog(reg);
    expect(a.slots).toHaveLength(2);
    counter.set(a, counter.get(a) + 5);
    list.get(a).push('x');
    expect([counter.get(a), counter.get(b)]).toEqual([5, 0]);
    expect([list.get(a), list.get(b)]).toEqual([['x'], []]);
    expect(reg.size).toBe(2);
  });

  it('refuses a name registered twice and any registration after seal', () => {
    const reg = new SlotRegistry<Dialog>('dialog');
    reg.register('acc', () => null);
    expect(() => reg.register('acc', () => null)).toThrow(/registered twice/);
    reg.seal();
    expect(reg.isSealed).toBe(true);
    expect(() => reg.register('late', () => null)).toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: slot "late" registered on dialog after start: slots may only be registered during init]`,
    );
    expect(new Dialog(reg).slots).toEqual([null]);
  });
});
