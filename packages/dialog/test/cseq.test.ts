/** CSeq renumbering after requests of our own (cseq.ts), both directions, and across a DB round trip. */
import { describe, expect, it } from 'vitest';
import { nextLocalCseq, relayedCseq } from '../src/cseq.js';
import { dlgOfRow, rowOf } from '../src/db.js';
import { DlgState } from '../src/state.js';
import { bareDlg } from './helpers.js';

describe('CSeq shift', () => {
  it('leaves requests alone until we sent the leg something', () => {
    const d = bareDlg();
    expect(relayedCseq(d, true, 'INFO', 2)).toBe(2);
    expect(d.calleePingCseq).toBe(0);
  });

  it("shifts the callee's requests to the caller past our pings to the caller", () => {
    const d = bareDlg();
    d.calleeCseq = 0; // the callee never sent a request
    expect(nextLocalCseq(d, true)).toBe(1);
    expect(nextLocalCseq(d, true)).toBe(2);
    // The callee's first request, CSeq 1, reaches the caller above both pings.
    expect(relayedCseq(d, false, 'INVITE', 1)).toBe(3);
    d.calleeCseq = 1;
    expect(relayedCseq(d, false, 'ACK', 1)).toBe(3);
    expect(nextLocalCseq(d, true)).toBe(4);
    expect(relayedCseq(d, false, 'ACK', 1)).toBe(3); // still its INVITE's number
    expect(relayedCseq(d, false, 'BYE', 2)).toBe(5);
    // Caller-bound shifts never touch the callee leg.
    expect(relayedCseq(d, true, 'BYE', 2)).toBe(2);
  });

  it('keeps the shift across a DB round trip (callee_ping_cseq is the last number the leg got)', () => {
    const d = bareDlg();
    d.state = DlgState.CONFIRMED;
    d.callerCseq = 5;
    expect(nextLocalCseq(d, false)).toBe(6);
    expect(relayedCseq(d, true, 'INFO', 6)).toBe(7);
    d.callerCseq = 6;
    const back = dlgOfRow(rowOf(d), [])!.dlg;
    expect(relayedCseq(back, true, 'INFO', 7)).toBe(8);
    expect(nextLocalCseq(back, false)).toBe(9);
  });
});
