/**
 * Heap per confirmed dialog: builds dialogs the way the engine does (from a parsed INVITE and its 2xx,
 * with a Record-Route set, one profile and one value), keeps them in the table, and measures the heap.
 *
 *   node --expose-gc --import tsx packages/dialog/bench/dialog-memory.ts [count]
 */
import { parseMessage } from '@core/sip';
import { Dlg } from '../src/dialog.js';
import { DlgTable } from '../src/table.js';
import { DlgState } from '../src/state.js';
import { Profiles, parseProfileDefs } from '../src/profiles.js';
import { callerRouteSet, calleeRouteSet, contactOf } from '../src/sip-util.js';
import { createLogger } from '@core/sip';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const N = Number(process.argv[2] ?? 20000);

function invite(i: number): Buffer {
  return Buffer.from(
    [
      `INVITE sip:+4930123456${i % 10}@carrier.example.net SIP/2.0`,
      `Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-${i}-a1b2c3d4e5f6;rport`,
      'Record-Route: <sip:203.0.113.10:5060;lr;ftag=abc>',
      'Max-Forwards: 69',
      `From: "Alice" <sip:+4989123456@pbx.customer.example.com>;tag=as${i}f00dcafe`,
      `To: <sip:+4930123456${i % 10}@carrier.example.net>`,
      `Call-ID: ${i.toString(16)}7d2f5c2e3a9b41c1b4f0a6e9d8c7b6a5@198.51.100.7`,
      'CSeq: 102 INVITE',
      'Contact: <sip:+4989123456@198.51.100.7:5060;transport=udp>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}
function ok(i: number): Buffer {
  return Buffer.from(
    [
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x${i}`,
      'Record-Route: <sip:192.0.2.200:5060;lr>',
      'Record-Route: <sip:192.0.2.1:5060;lr;did=1a.2b;ftag=abc>',
      `From: "Alice" <sip:+4989123456@pbx.customer.example.com>;tag=as${i}f00dcafe`,
      `To: <sip:+4930123456${i % 10}@carrier.example.net>;tag=gw${i}-77aa`,
      `Call-ID: ${i.toString(16)}7d2f5c2e3a9b41c1b4f0a6e9d8c7b6a5@198.51.100.7`,
      'CSeq: 102 INVITE',
      'Contact: <sip:gw1@192.0.2.200:5060>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

const table = new DlgTable(4096);
const profiles = new Profiles(createLogger({ level: 'silent' }).root);
profiles.add(parseProfileDefs('trunk', true));
const trunk = profiles.search('trunk')!;
const isMyself = (h: string) => h === '192.0.2.1';

function build(i: number): Dlg {
  const inv = parseMessage(invite(i));
  const rpl = parseMessage(ok(i));
  const hEntry = table.entryOf(inv.callId);
  const d = new Dlg({
    hEntry,
    hId: table.newId(hEntry),
    flags: 1,
    callid: inv.callId,
    fromUri: inv.from.uri.toString(),
    fromTag: inv.from.tag ?? '',
    toUri: inv.to.uri.toString(),
    callerCseq: inv.cseq.seq,
    callerContact: contactOf(inv),
    callerRouteSet: callerRouteSet(inv),
    callerSock: 'udp:192.0.2.1:5060',
    timeout: 43200,
    slots: [undefined, undefined],
  });
  d.toTag = rpl.to.tag ?? '';
  d.calleeContact = contactOf(rpl);
  d.calleeRouteSet = calleeRouteSet(rpl, isMyself);
  d.calleeSock = 'udp:192.0.2.1:5060';
  d.state = DlgState.CONFIRMED;
  d.startTs = Math.floor(Date.now() / 1000);
  d.expiresAt = Date.now() + 43200_000;
  d.timer = setTimeout(() => undefined, 43200_000);
  d.timer.unref();
  (d.vals ??= new Map()).set('acct', `cust-${i % 1000}`);
  table.add(d);
  profiles.set(d, trunk, `gw${i % 16}`);
  return d;
}

// Warm up the parser and the shapes, then measure.
for (let i = 0; i < 200; i++) build(-1 - i);
gc();
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i++) build(i);
gc();
gc();
const after = process.memoryUsage().heapUsed;
const per = (after - before) / N;
console.log(`${N} confirmed dialogs: ${per.toFixed(0)} bytes of heap each (table, profile, one value, timer included)`);
for (const d of table.values()) if (d.timer !== null) clearTimeout(d.timer);
