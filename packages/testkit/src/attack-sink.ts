/** The downstream UA of the attack runs: where the mutated R-URIs point, answering what the server relays. */
import type { Socket } from 'node:dgram';
import { Prng } from './prng.js';
import { applyOperator, OPERATORS } from './sip-mutator.js';
import { replyTo } from './udp-peer.js';

const HOST = '127.0.0.1';

/** FNV-1a over a string's UTF-16 code units: a per-request key for the sink's answers. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SINK_CODES: [number, string][] = [
  [100, 'Trying'],
  [180, 'Ringing'],
  [183, 'Session Progress'],
  [200, 'OK'],
  [302, 'Moved'],
  [486, 'Busy Here'],
  [503, 'Unavailable'],
  [603, 'Decline'],
];

/**
 * The downstream UA the mutated R-URIs point at: it answers what the server relays, so tm and dialog see
 * live transactions. What it does with a request is drawn from the seed and the request's Call-ID and method
 * (so a replay answers alike, retransmissions included): a clean final (486 to INVITE, 200 to the rest), a
 * 180 then a 200 that confirms a dialog, a mutated reply, or nothing (the transaction times out).
 */
export function sinkAnswer(sink: Socket, seed: number, counter: { relayed: number }): void {
  sink.on('message', (d, rinfo) => {
    counter.relayed++;
    const text = d.toString('latin1');
    if (text.startsWith('SIP/') || text.startsWith('ACK ')) return;
    const method = text.slice(0, text.indexOf(' '));
    const callId = /^(?:call-id|i)[ \t]*:[ \t]*(\S*)/im.exec(text)?.[1] ?? '';
    const rng = new Prng((seed ^ fnv(`${callId} ${method}`)) >>> 0);
    const tag = `sink${rng.token(6)}`;
    // A UA copies the Record-Route set into its reply (RFC 3261 12.1.1) and gives its Contact.
    const rr = text.split('\r\n').filter((l) => /^record-route\s*:/i.test(l));
    const headers = [...rr, `Contact: <sip:sink@${HOST}:${sink.address().port}>`];
    const reply = (code: number, reason: string): Buffer => Buffer.from(replyTo(text, code, reason, { toTag: tag, headers }), 'latin1');
    const send = (b: Buffer): void => void sink.send(b, rinfo.port, rinfo.address);
    const plan = rng.int(10);
    if (plan <= 3 || (plan <= 5 && method !== 'INVITE')) send(method === 'INVITE' ? reply(486, 'Busy Here') : reply(200, 'OK'));
    else if (plan <= 5) {
      send(reply(180, 'Ringing'));
      send(reply(200, 'OK'));
    } else if (plan <= 8) {
      const [code, reason] = rng.pick(SINK_CODES);
      let b = reply(code, reason);
      for (let k = rng.range(1, 2); k > 0; k--) b = applyOperator(rng.pick(OPERATORS), b, rng);
      send(b);
    }
    // plan 9: no answer
  });
}
