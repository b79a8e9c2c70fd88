/** Rate-limited log lines: N per kind per second, the rest counted and summarised once the second is over. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { LogLimiter } from '../../src/log-limit.js';

function logger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const { root } = createLogger({ level, destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { log: root, lines };
}

describe('LogLimiter', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('lets perSecond lines of a kind through per second and summarises the rest when the second ends', () => {
    const { log, lines } = logger();
    const lim = new LogLimiter(3);
    let written = 0;
    for (let i = 0; i < 100; i++) if (lim.allow(log, 'info', 'malformed request')) written++;
    expect(written).toBe(3);
    expect(lim.pending('malformed request')).toBe(97);
    expect(lines).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(lines).toEqual([expect.objectContaining({ level: 30, kind: 'malformed request', suppressed: 97, msg: 'suppressed 97 similar lines: malformed request' })]);
    // A new second: three more lines.
    expect([
      lim.allow(log, 'info', 'malformed request'),
      lim.allow(log, 'info', 'malformed request'),
      lim.allow(log, 'info', 'malformed request'),
      lim.allow(log, 'info', 'malformed request'),
    ]).toEqual([true, true, true, false]);
  });

  it('keeps kinds apart, counts nothing for a level that is off, and flush() writes what is pending', () => {
    const { log, lines } = logger('info');
    const lim = new LogLimiter(1);
    expect(lim.allow(log, 'warn', 'a')).toBe(true);
    expect(lim.allow(log, 'warn', 'b')).toBe(true);
    expect(lim.allow(log, 'warn', 'a')).toBe(false);
    for (let i = 0; i < 10; i++) expect(lim.allow(log, 'debug', 'c')).toBe(false);
    expect(lim.pending('c')).toBe(0);
    lim.flush();
    expect(lines.map((l) => [l['kind'], l['suppressed']])).toEqual([['a', 1]]);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(1);
  });
});
