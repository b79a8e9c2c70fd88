import { expect, it } from 'vitest';
import { ownString, parseMessage } from '../../src/index.js';

it('copies a header value with the same text (short strings are returned as they are)', () => {
  const m = parseMessage(
    Buffer.from(
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: a-rather-long-call-id@example.com\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    ),
  );
  expect(ownString(m.callId)).toBe('a-rather-long-call-id@example.com');
  expect(ownString('short')).toBe('short');
  expect(ownString('')).toBe('');
});
