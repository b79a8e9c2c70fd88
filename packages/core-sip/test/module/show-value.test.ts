/** showValue: how a bad modparam value is quoted in an error message, including values JSON cannot show. */
import { describe, expect, it } from 'vitest';
import { showValue } from '../../src/errors.js';

describe('showValue', () => {
  it('quotes strings and writes the rest as JSON', () => {
    expect(showValue('abc')).toBe('"abc"');
    expect(showValue(12)).toBe('12');
    expect(showValue({ a: [1, null] })).toBe('{"a":[1,null]}');
  });

  it('names what JSON cannot show', () => {
    expect(showValue(undefined)).toBe('nothing');
    expect(showValue(5n)).toBe('5n');
    expect(showValue(() => 1)).toBe('a function');
    expect(showValue(Symbol('x'))).toBe('Symbol(x)');
  });

  it('says what kind of object a cycle or a nested BigInt is in, instead of throwing', () => {
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    expect(showValue(cycle)).toBe('[object Object]');
    expect(showValue([1n])).toBe('[object Array]');
  });
});
