import { describe, expect, it } from 'vitest';
import { DlgTable, callidHash } from '../src/table.js';
import { Dlg, parseDid, splitDbId } from '../src/dialog.js';

function mk(t: DlgTable, callid: string, fromTag: string, toTag = ''): Dlg {
  const hEntry = t.entryOf(callid);
  const d = new Dlg({
    hEntry,
    hId: t.newId(hEntry),
    flags: 0,
    callid,
    fromUri: 'sip:a@x',
    fromTag,
    toUri: 'sip:b@y',
    callerCseq: 1,
    callerContact: 'sip:a@1.2.3.4',
    callerRouteSet: '',
    callerSock: 'udp:127.0.0.1:5060',
    timeout: 10,
    slots: [],
  });
  d.toTag = toTag;
  t.add(d);
  return d;
}

describe('dialog table', () => {
  it('hashes a Call-ID into the table size, stably', () => {
    for (const size of [1, 7, 4096]) {
      const h = callidHash('abc@host', size);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(size);
      expect(callidHash('abc@host', size)).toBe(h);
    }
  });

  it('finds dialogs by identity and by Call-ID + tags in both directions', () => {
    const t = new DlgTable(16);
    const a = mk(t, 'c1', 'ft1', 'tt1');
    const b = mk(t, 'c1', 'ft2', 'tt2'); // same Call-ID (a forked or spiralled call)
    expect(a.hEntry).toBe(b.hEntry);
    expect(a.hId).not.toBe(b.hId);
    expect(t.get(a.hEntry, a.hId)).toBe(a);
    expect(t.match('c1', 'ft1', 'tt1')).toEqual({ dlg: a, downstream: true });
    expect(t.match('c1', 'tt2', 'ft2')).toEqual({ dlg: b, downstream: false });
    expect(t.match('c1', 'ft1', 'zz')).toBeUndefined();
    expect(t.match('c2', 'ft1', 'tt1')).toBeUndefined();
    expect(t.remove(a)).toBe(true);
    expect(t.remove(a)).toBe(false);
    expect(t.get(a.hEntry, a.hId)).toBeUndefined();
    expect(t.byCallid('c1')).toEqual([b]);
    expect(t.count).toBe(1);
  });

  it('encodes ids for the DB column and the did param, and back', () => {
    const t = new DlgTable(4096);
    const d = mk(t, 'x@y', 'f');
    expect(splitDbId(d.dbId)).toEqual({ hEntry: d.hEntry, hId: d.hId });
    expect(parseDid(d.did)).toEqual({ hEntry: d.hEntry, hId: d.hId });
    expect(d.id).toBe(`${d.hEntry}:${d.hId}`);
    expect(parseDid('nodot')).toBeNull();
  });

  it('does not hand out an id a loaded dialog already has', () => {
    const t = new DlgTable(1);
    const loaded = new Dlg({
      hEntry: 0,
      hId: 41,
      flags: 0,
      callid: 'l',
      fromUri: 'sip:a@x',
      fromTag: 'f',
      toUri: 'sip:b@y',
      callerCseq: 1,
      callerContact: '',
      callerRouteSet: '',
      callerSock: '',
      timeout: 1,
      slots: [],
    });
    t.add(loaded);
    expect(t.newId(0)).toBe(42);
  });
});
