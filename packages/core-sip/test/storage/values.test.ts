import { describe, expect, it } from 'vitest';
import { numberOf, textOf } from '../../src/storage/values.js';

describe('reading Db column values back', () => {
  it('textOf: strings as they are, BLOBs as UTF-8, numbers printed, NULL or missing as empty', () => {
    expect([textOf('a'), textOf(Buffer.from('é')), textOf(42), textOf(9007199254740993n), textOf(null), textOf(undefined)]).toEqual([
      'a',
      'é',
      '42',
      '9007199254740993',
      '',
      '',
    ]);
  });
  it('numberOf: numbers as they are, numeric text parsed, anything else 0', () => {
    expect([numberOf(7), numberOf('12'), numberOf(Buffer.from('3')), numberOf(null), numberOf('x'), numberOf(undefined)]).toEqual([7, 12, 3, 0, 0, 0]);
  });
});
