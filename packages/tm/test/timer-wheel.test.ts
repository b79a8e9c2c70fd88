import { describe, expect, it } from 'vitest';
import { createLogger } from '@core/sip';
import { TimerWheel } from '../src/transaction/timer-wheel.js';

function logger() {
  const lines: { msg: string; timer?: string }[] = [];
  const { root: log } = createLogger({ level: 'warn', destination: { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; timer?: string }) } });
  return { log, lines };
}

describe('timer wheel', () => {
  it('fires in deadline order, skips cancelled timers', async () => {
    const { log } = logger();
    const w = new TimerWheel(log);
    const seen: string[] = [];
    w.schedule('c', 30, () => seen.push('c'));
    w.schedule('a', 5, () => seen.push('a'));
    const b = w.schedule('b', 15, () => seen.push('b'));
    w.cancel(b);
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual(['a', 'c']);
    expect(w.size).toBe(0);
    w.stop();
  });

  it('logs a throwing callback with its name and still runs the others; a slow one is reported', async () => {
    const { log, lines } = logger();
    const w = new TimerWheel(log);
    let ran = 0;
    w.schedule('boom', 5, () => {
      throw new Error('bad');
    });
    w.schedule('slow', 5, () => {
      const end = performance.now() + 60;
      while (performance.now() < end);
    });
    w.schedule('ok', 6, () => void ran++);
    await new Promise((r) => setTimeout(r, 120));
    expect(ran).toBe(1);
    expect(lines.find((l) => l.timer === 'boom')?.msg).toBe('timer callback failed');
    expect(lines.find((l) => l.timer === 'slow')?.msg).toBe('slow timer callback');
    w.stop();
  });
});
