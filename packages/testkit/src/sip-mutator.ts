/**
 * Seeded mutations of valid SIP messages, for attack tests and the fuzz soak: every input is a function of
 * (seed, index, transport) alone, so a failure names its seed and index and can be rebuilt byte for byte.
 *
 * Addresses: every seed message uses 127.0.0.1 only; random bytes (flips, garbage) are never ASCII digits or
 * '.', and the fixed values operators write hold only 127.0.0.1, ::1 or invalid hosts, so a mutation can break
 * an address (or cut a port short) but never turn it into a routable one off this host.
 */
import { Prng } from './prng.js';

/** Where the seed messages point. */
export interface SeedTargets {
  /** The server under attack: OPTIONS/REGISTER to itself, the Route of in-dialog requests, replies' top Via. */
  serverPort: number;
  /** The sender: the Vias of requests and the second Via of replies (answers come back here). */
  peerPort: number;
  /** Where relayed requests go: the R-URIs. */
  sinkPort: number;
}

export type Transport = 'udp' | 'tcp';

export const SEED_KINDS = ['INVITE', 'REGISTER', 'OPTIONS', 'BYE', 'ACK', 'CANCEL', '100', '180', '200', '486', 'in-dialog'] as const;
export type SeedKind = (typeof SEED_KINDS)[number];

export const OPERATORS = [
  'flip',
  'truncate',
  'dup-header',
  'remove-header',
  'oversize-header',
  'bad-content-length',
  'huge-value',
  'nul',
  'break-via',
  'break-cseq',
  'break-uri',
  'garbage',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Mutation {
  index: number;
  kind: SeedKind;
  transport: Transport;
  ops: Operator[];
  data: Buffer;
}

/** Largest datagram we send over UDP (the IPv4 payload limit is 65,507). */
export const UDP_MAX = 65_000;
/** Over TCP a mutation may exceed the server's 65,535-byte message limit, up to this. */
export const TCP_MAX = 200_000;

const HOST = '127.0.0.1';

/** A valid message of `kind`, its tags, branches and Call-ID drawn from `rng`. */
export function seedMessage(kind: SeedKind, t: SeedTargets, transport: Transport, rng: Prng): string {
  const proto = transport.toUpperCase();
  const tag = rng.token(8);
  const callId = `${rng.token(12)}@${HOST}`;
  const cseq = rng.range(1, 9999);
  const via = `Via: SIP/2.0/${proto} ${HOST}:${t.peerPort};branch=z9hG4bK${rng.token(10)};rport`;
  const sink = `sip:bob@${HOST}:${t.sinkPort}`;
  const me = `sip:${HOST}:${t.serverPort}`;
  const from = `From: "Alice" <sip:alice@${HOST}:${t.peerPort}>;tag=${tag}`;
  const contact = `Contact: <sip:alice@${HOST}:${t.peerPort}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  const sdp = ['v=0', `o=alice 2890844526 2890844526 IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0', 'm=audio 49170 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join(
    '\r\n',
  );
  const req = (method: string, ruri: string, extra: string[], toTag?: string, body = ''): string =>
    [
      `${method} ${ruri} SIP/2.0`,
      via,
      'Max-Forwards: 70',
      from,
      `To: <${ruri}>${toTag === undefined ? '' : `;tag=${toTag}`}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      ...extra,
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
  const reply = (code: number, reason: string, extra: string[], body = ''): string =>
    [
      `SIP/2.0 ${code} ${reason}`,
      // The server's own Via on top (it pops it and relays the reply by the next one), then ours.
      `Via: SIP/2.0/${proto} ${HOST}:${t.serverPort};branch=z9hG4bK${rng.token(10)}`,
      via,
      from,
      `To: <${sink}>${code > 100 ? `;tag=${rng.token(8)}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} INVITE`,
      ...extra,
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
  switch (kind) {
    case 'INVITE':
      return req(
        'INVITE',
        sink,
        [contact, 'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS', 'Supported: timer, 100rel', 'Session-Expires: 1800', 'Content-Type: application/sdp'],
        undefined,
        sdp,
      );
    case 'REGISTER':
      return req('REGISTER', rng.chance(0.5) ? me : `sip:${HOST}:${t.sinkPort}`, [
        contact,
        'Expires: 3600',
        'Authorization: Digest username="alice", realm="127.0.0.1", nonce="abc", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef"',
      ]);
    case 'OPTIONS':
      return req('OPTIONS', rng.chance(0.5) ? me : sink, [contact, 'Accept: application/sdp']);
    case 'BYE':
      return req('BYE', sink, [contact], rng.token(8));
    case 'ACK':
      return req('ACK', sink, [], rng.token(8));
    case 'CANCEL':
      return req('CANCEL', sink, []);
    case '100':
      return reply(100, 'Trying', []);
    case '180':
      return reply(180, 'Ringing', [`Contact: <${sink}>`, `Record-Route: <${me};lr>`]);
    case '200':
      return reply(200, 'OK', [`Contact: <${sink}>`, `Record-Route: <${me};lr;did=${rng.token(6)}>`, 'Content-Type: application/sdp'], sdp);
    case '486':
      return reply(486, 'Busy Here', []);
    case 'in-dialog': {
      const method = rng.pick(['BYE', 'INVITE', 'INFO', 'UPDATE', 'ACK']);
      return req(method, sink, [`Route: <${me};lr;did=${rng.token(6)}>`, contact], rng.token(8));
    }
  }
}

/** One input of the attack: a seed message of a random kind with one to three operators applied. */
export function mutationAt(seed: number, index: number, targets: SeedTargets, transport: Transport = 'udp'): Mutation {
  const rng = new Prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  rng.next(); // the first output of a fresh state is weakly mixed
  const kind = rng.pick(SEED_KINDS);
  let data: Buffer = Buffer.from(seedMessage(kind, targets, transport, rng), 'latin1');
  const ops: Operator[] = [];
  const n = rng.pick([1, 1, 1, 2, 2, 3]);
  for (let i = 0; i < n; i++) {
    const op = rng.pick(OPERATORS);
    ops.push(op);
    data = applyOperator(op, data, rng, transport);
  }
  const max = transport === 'udp' ? UDP_MAX : TCP_MAX;
  if (data.length > max) data = data.subarray(0, max);
  return { index, kind, transport, ops, data };
}

/** Applies one operator; the result is always a new buffer. */
export function applyOperator(op: Operator, data: Buffer, rng: Prng, transport: Transport = 'udp'): Buffer {
  switch (op) {
    case 'flip':
      return flip(data, rng);
    case 'truncate':
      return data.length < 2 ? Buffer.alloc(0) : Buffer.from(data.subarray(0, rng.range(1, data.length - 1)));
    case 'dup-header':
      return dupHeader(data, rng);
    case 'remove-header':
      return removeHeader(data, rng);
    case 'oversize-header':
      return oversizeHeader(data, rng, transport);
    case 'bad-content-length':
      return badContentLength(data, rng);
    case 'huge-value':
      return hugeValue(data, rng);
    case 'nul':
      return nul(data, rng);
    case 'break-via':
      return breakVia(data, rng);
    case 'break-cseq':
      return replaceHeader(data, /^cseq\s*:/i, `CSeq: ${rng.pick(BROKEN_CSEQ)}`);
    case 'break-uri':
      return breakUri(data, rng);
    case 'garbage':
      return garbage(rng, rng.range(1, 1500));
  }
}

/** Bytes no operator writes: ASCII digits and '.', so an IPv4 address is never rewritten into another. */
export function isAddressByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e;
}

function safeByte(rng: Prng, not: number): number {
  for (;;) {
    const b = rng.int(256);
    if (b !== not && !isAddressByte(b)) return b;
  }
}

/** 1–8 bytes replaced by random ones. */
function flip(data: Buffer, rng: Prng): Buffer {
  const out = Buffer.from(data);
  if (out.length === 0) return out;
  const n = rng.range(1, 8);
  for (let i = 0; i < n; i++) {
    const p = rng.int(out.length);
    out[p] = safeByte(rng, out[p]!);
  }
  return out;
}

/** Random bytes without digits or dots: sometimes printable, sometimes after a plausible start line. */
export function garbage(rng: Prng, n: number): Buffer {
  const printable = rng.chance(0.5);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let b = printable ? rng.range(0x20, 0x7e) : rng.int(256);
    if (isAddressByte(b)) b = 0x78; // 'x'
    out[i] = b;
  }
  const prefix = rng.pick(['', '', 'SIP/2.0 ', 'INVITE sip:', 'OPTIONS ', 'Via: ', '\r\n\r\n']);
  return Buffer.concat([Buffer.from(prefix, 'latin1'), out]);
}

/** A message as text lines: the start line and headers (unfolded lines kept as they are), then the body. */
interface Parts {
  lines: string[];
  body: string;
  /** False when the message had no CRLFCRLF (already cut): joined back without one. */
  blank: boolean;
}

function split(data: Buffer): Parts {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { lines: text.split('\r\n'), body: '', blank: false };
  return { lines: text.slice(0, end).split('\r\n'), body: text.slice(end + 4), blank: true };
}

function join(p: Parts): Buffer {
  return Buffer.from(p.blank ? `${p.lines.join('\r\n')}\r\n\r\n${p.body}` : p.lines.join('\r\n'), 'latin1');
}

/** Index of a header line (never the start line), or -1 when there is none. */
function anyHeader(p: Parts, rng: Prng): number {
  return p.lines.length < 2 ? -1 : rng.range(1, p.lines.length - 1);
}

function findHeader(p: Parts, name: RegExp): number {
  return p.lines.findIndex((l, i) => i > 0 && name.test(l));
}

function dupHeader(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  const i = anyHeader(p, rng);
  if (i < 0) return Buffer.from(data);
  const times = rng.pick([1, 1, 1, 2, 5, 40]);
  const line = p.lines[i]!;
  for (let k = 0; k < times; k++) p.lines.splice(rng.range(1, p.lines.length), 0, line);
  return join(p);
}

const MANDATORY = /^(via|v|from|f|to|t|call-id|i|cseq|max-forwards|content-length|l)\s*:/i;

function removeHeader(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  // Half the time a header every request needs, so the "missing X" paths (RFC 4475 insuf) are hit often.
  const mandatory = p.lines.map((l, i) => (i > 0 && MANDATORY.test(l) ? i : -1)).filter((i) => i > 0);
  const i = mandatory.length > 0 && rng.chance(0.5) ? rng.pick(mandatory) : anyHeader(p, rng);
  if (i < 0) return Buffer.from(data);
  p.lines.splice(i, 1);
  return join(p);
}

function oversizeHeader(data: Buffer, rng: Prng, transport: Transport): Buffer {
  const p = split(data);
  const sizes = transport === 'udp' ? [1000, 8200, 30_000, 60_000] : [1000, 8200, 30_000, 70_000, 150_000];
  const size = rng.pick(sizes);
  switch (rng.int(4)) {
    case 0: // one long unknown header
      p.lines.splice(rng.range(1, p.lines.length), 0, `X-Fill: ${'a'.repeat(size)}`);
      break;
    case 1: // more header lines than any limit
      for (let k = 0; k < rng.pick([100, 300, 2000]); k++) p.lines.splice(1, 0, `X-H${k}: v`);
      break;
    case 2: {
      // an existing header grown long (a branch, a tag, a URI user)
      const i = anyHeader(p, rng);
      if (i > 0) p.lines[i] = `${p.lines[i]!}${rng.pick([';x=', 'a', ',', ' '])}${'b'.repeat(size)}`;
      break;
    }
    default: // many Vias (loopback, the server never routes a request by them)
      for (let k = 0; k < rng.pick([50, 500]); k++) p.lines.splice(1, 0, `Via: SIP/2.0/UDP ${HOST}:1;branch=z9hG4bKv${k}`);
  }
  return join(p);
}

function badContentLength(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  p.lines = p.lines.filter((l, i) => i === 0 || !/^(content-length|l)\s*:/i.test(l));
  const len = Buffer.byteLength(p.body, 'latin1');
  const values = [
    '-1',
    '999999999',
    '99999999999999999999',
    'abc',
    '',
    String(len + rng.range(1, 500)),
    String(Math.max(0, len - rng.range(1, 50))),
    '0x10',
    '1 2',
    '4294967296',
    '1e3',
    '+5',
  ];
  const v = rng.pick(values);
  const name = rng.pick(['Content-Length', 'l', 'content-length ']);
  const at = rng.range(1, p.lines.length);
  p.lines.splice(at, 0, `${name}: ${v}`);
  // Sometimes a second, different Content-Length (the request-smuggling shape).
  if (rng.chance(0.25)) p.lines.splice(rng.range(1, p.lines.length), 0, `Content-Length: ${len}`);
  return join(p);
}

function hugeValue(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  const big = rng.pick(['4294967296', '99999999999999999999', '18446744073709551616', `1${'0'.repeat(400)}`, '-2147483649']);
  const method = /^\S+\s+\S+\s+(\S+)/.exec(p.lines[findHeader(p, /^cseq\s*:/i)] ?? '')?.[1] ?? 'INVITE';
  const choices: [RegExp, string][] = [
    [/^cseq\s*:/i, `CSeq: ${big} ${method}`],
    [/^max-forwards\s*:/i, `Max-Forwards: ${big}`],
    [/^expires\s*:/i, `Expires: ${big}`],
    [/^session-expires\s*:/i, `Session-Expires: ${big}`],
    [/^rseq\s*:/i, `RSeq: ${big}`],
    [/^via\s*:/i, `Via: SIP/2.0/UDP ${HOST}:${big};branch=z9hG4bKhuge;rport=${big}`],
  ];
  if ((p.lines[0] ?? '').startsWith('SIP/') && rng.chance(0.3)) {
    p.lines[0] = `SIP/2.0 ${big} Huge`;
    return join(p);
  }
  const [re, line] = rng.pick(choices);
  const i = findHeader(p, re);
  if (i > 0) p.lines[i] = line;
  else p.lines.splice(rng.range(1, p.lines.length), 0, line);
  return join(p);
}

function nul(data: Buffer, rng: Prng): Buffer {
  if (rng.chance(0.5)) {
    // NUL bytes inserted anywhere (start line, a header name, a value, the body)
    let out = Buffer.from(data);
    for (let k = rng.range(1, 4); k > 0; k--) {
      const at = rng.int(out.length + 1);
      out = Buffer.concat([out.subarray(0, at), Buffer.from([0]), out.subarray(at)]);
    }
    return out;
  }
  const p = split(data);
  const i = anyHeader(p, rng);
  if (i < 0) return Buffer.concat([data, Buffer.from([0])]);
  const line = p.lines[i]!;
  const colon = line.indexOf(':');
  p.lines[i] = `${line.slice(0, colon + 1)} ${rng.pick(['\0', 'a\0b', '\0\0\0\0', `<sip:a\0@${HOST}>`])}`;
  return join(p);
}

const BROKEN_VIA = [
  '',
  'SIP/2.0/UDP',
  'SIP/2.0/UDP ;branch=z9hG4bK1',
  'SIP/3.0/XYZ host.invalid;branch=z9hG4bK1',
  `SIP/2.0/UDP ${HOST}:99999;branch=z9hG4bK1`,
  `SIP/2.0/UDP ${HOST}:0;branch=z9hG4bK1`,
  'SIP/2.0/UDP [::1;branch=z9hG4bK1',
  `SIP/2.0/UDP ${HOST};branch`,
  `SIP/2.0/UDP ${HOST};branch=`,
  `SIP/2.0/UDP ${HOST};rport=abc;received=`,
  `SIP/2.0/UDP ${HOST};received=999.1.1.1`,
  `SIP/2.0/UDP ${HOST};maddr=host.invalid;ttl=999`,
  ',,,;;;',
  `SIP/2.0/TCP ${HOST}:1;branch=z9hG4bKwrongproto`,
  `SIP/2.0/TLS ${HOST};branch=z9hG4bKtls`,
  `SIP/2.0/SCTP ${HOST};branch=z9hG4bKsctp`,
  `SIP/2.0/UDP host.invalid;branch=z9hG4bK1, SIP/2.0/UDP`,
  'SIP/2.0/UDP <sip:x>;branch=z9hG4bK1',
  `SIP / 2.0 / UDP ${HOST} ; branch = z9hG4bK1`,
];

function breakVia(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  const value = rng.pick(BROKEN_VIA);
  const i = findHeader(p, /^(via|v)\s*:/i);
  if (i > 0 && rng.chance(0.7)) p.lines[i] = `Via: ${value}`;
  else p.lines.splice(1, 0, `${rng.pick(['Via', 'v'])}: ${value}`);
  return join(p);
}

const BROKEN_CSEQ = ['', 'abc INVITE', '1', 'INVITE', '-1 INVITE', '1 BYE', '1 INVITE extra', '1  ', '0 INVITE', '1 inv\x01te', '4294967296 INVITE', '1 ACK', '1 CANCEL'];

const BROKEN_URI = [
  'sip:',
  'sip:@',
  'sip:user@',
  'sip:[::1',
  `sip:a@${HOST}:99999`,
  `sip:a@${HOST}:0`,
  `sip:%zz@${HOST}`,
  '<sip:x>',
  'tel:+1-555',
  `sip:a@${HOST};transport=`,
  `sip:a@${HOST};lr;lr;lr;;;`,
  'http://x',
  `sip:${'a'.repeat(5000)}@${HOST}`,
  'sip:a@host.invalid',
  'sip:a@-bad-.invalid',
  `sip:a@${HOST}?Route=%3Csip:x%3E`,
  `sip:a@${HOST};maddr=`,
  `sip:a@${HOST};method=`,
  ':::',
  'sip:a@[::1]:1',
  'sip:a@host.invalid;transport=tcp',
  'sips:a@host.invalid',
];

/** A URI replaced: the R-URI (requests), or the URI in From, To, Contact, Route or Record-Route. */
function breakUri(data: Buffer, rng: Prng): Buffer {
  const p = split(data);
  const uri = rng.pick(BROKEN_URI);
  const start = p.lines[0] ?? '';
  if (!start.startsWith('SIP/') && rng.chance(0.4)) {
    const parts = start.split(' ');
    if (parts.length >= 3) {
      parts[1] = uri;
      p.lines[0] = parts.join(' ');
      return join(p);
    }
  }
  const i = findHeader(p, /^(from|f|to|t|contact|m|route|record-route)\s*:/i);
  const candidates = p.lines.map((l, k) => (k > 0 && /^(from|f|to|t|contact|m|route|record-route)\s*:/i.test(l) ? k : -1)).filter((k) => k > 0);
  const k = candidates.length > 0 ? rng.pick(candidates) : i;
  if (k > 0) {
    const line = p.lines[k]!;
    const name = line.slice(0, line.indexOf(':'));
    p.lines[k] = `${name}: ${rng.chance(0.5) ? `<${uri}>` : uri}${rng.chance(0.5) ? `;tag=${rng.token(4)}` : ''}`;
  }
  return join(p);
}

function replaceHeader(data: Buffer, name: RegExp, line: string): Buffer {
  const p = split(data);
  const i = findHeader(p, name);
  if (i > 0) p.lines[i] = line;
  else p.lines.splice(1, 0, line);
  return join(p);
}
