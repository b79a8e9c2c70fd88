// Framing throughput: `pnpm vitest bench packages/core-sip/test/transport`.
import { bench, describe } from 'vitest';
import { StreamFramer } from '../../src/transport/stream-framer.js';

const body = 'v=0\r\n'.repeat(40);
const msg = Buffer.from(
  'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\n' +
    'To: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>;tag=1928301774\r\n' +
    'Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.example.com>\r\n' +
    `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
);
const stream = Buffer.concat(Array.from({ length: 1000 }, () => msg));

describe('StreamFramer, 1000 INVITEs of 560 bytes', () => {
  for (const size of [65536, 1400, 100]) {
    bench(`chunks of ${size} bytes`, () => {
      let n = 0;
      const f = new StreamFramer(65535, {
        onMessage: () => void n++,
        onPing: () => undefined,
        onError: (r) => {
          throw new Error(r);
        },
      });
      for (let i = 0; i < stream.length; i += size) f.push(stream.subarray(i, i + size));
      if (n !== 1000) throw new Error(`framed ${n}`);
    });
  }
});
