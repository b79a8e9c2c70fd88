import { describe, expect, it } from 'vitest';
import { CrashWatch, isCrashLine } from './crash-watch.js';

const NODE_CRASH = [
  'file:///x/packages/core-sip/dist/message/message.js:270',
  "            throw new SipParseError('E_PARSE_MISSING_HEADER', `missing header`);",
  '                  ^',
  '',
  'SipParseError: missing Call-ID header',
  '    at SipMessage.required (file:///x/packages/core-sip/dist/message/message.js:270:19)',
  'Node.js v20.20.2',
];
const LOGGED =
  '{"level":40,"err":{"type":"SipParseError","stack":"SipParseError: missing Via header\\n    at get topVia (file:///x/message.js:306:23)"},"msg":"stateless reply could not be built"}';

describe('crash detection in server output', () => {
  it("recognises what Node prints when it dies, and a safety net's log line", () => {
    expect(NODE_CRASH.filter(isCrashLine)).toEqual([NODE_CRASH[4], NODE_CRASH[5]]);
    expect(isCrashLine('RangeError [ERR_SOCKET_BAD_PORT]: Port should be > 0')).toBe(true);
    expect(isCrashLine('{"level":60,"err":{},"msg":"unhandled rejection: exiting"}')).toBe(true);
    expect(isCrashLine('{"level":50,"msg":"uncaughtException"}')).toBe(true);
  });

  it('ignores errors the server caught and logged (stacks inside JSON) and deprecation warnings', () => {
    expect(isCrashLine(LOGGED)).toBe(false);
    expect(isCrashLine('(node:1) [DEP0118] DeprecationWarning: The provided hostname "" is not a valid hostname')).toBe(false);
  });

  it('splits chunks into lines, so a JSON line cut between two chunks is not read as raw text', () => {
    const w = new CrashWatch();
    const cut = LOGGED.indexOf('SipParseError: missing');
    w.push(`${LOGGED.slice(0, cut)}`);
    w.push(`${LOGGED.slice(cut)}\n`);
    expect(w.found).toBe('');
    w.push(`${NODE_CRASH.join('\n')}\n`);
    expect(w.found).toContain('SipParseError: missing Call-ID header');
    expect(w.found).toContain('Node.js v20');
  });
});
