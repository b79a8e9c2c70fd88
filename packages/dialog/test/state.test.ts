import { describe, expect, it } from 'vitest';
import { DlgState, nextState, type DlgEvent, type DlgStateValue } from '../src/state.js';

const S = DlgState;

describe('dialog state machine (OpenSIPS numbers)', () => {
  it('keeps OpenSIPS state numbers', () => {
    expect(S).toEqual({ UNCONFIRMED: 1, EARLY: 2, CONFIRMED_NA: 3, CONFIRMED: 4, DELETED: 5 });
  });

  const cases: [DlgStateValue, DlgEvent, DlgStateValue | null][] = [
    [S.UNCONFIRMED, 'provisional', S.EARLY],
    [S.UNCONFIRMED, 'confirm', S.CONFIRMED_NA],
    [S.UNCONFIRMED, 'negative', S.DELETED],
    [S.UNCONFIRMED, 'ack', null],
    [S.EARLY, 'provisional', null],
    [S.EARLY, 'confirm', S.CONFIRMED_NA],
    [S.EARLY, 'negative', S.DELETED],
    [S.EARLY, 'terminate', S.DELETED],
    [S.CONFIRMED_NA, 'ack', S.CONFIRMED],
    [S.CONFIRMED_NA, 'bye', S.DELETED],
    [S.CONFIRMED_NA, 'confirm', null],
    [S.CONFIRMED_NA, 'negative', null],
    [S.CONFIRMED, 'ack', null],
    [S.CONFIRMED, 'bye', S.DELETED],
    [S.CONFIRMED, 'expire', S.DELETED],
    [S.CONFIRMED, 'terminate', S.DELETED],
    [S.CONFIRMED, 'provisional', null],
    [S.DELETED, 'bye', null],
    [S.DELETED, 'confirm', null],
  ];
  it.each(cases)('%i --%s--> %s', (from, ev, to) => {
    expect(nextState(from, ev)).toBe(to);
  });
});
