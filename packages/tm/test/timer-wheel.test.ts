import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '@core/sip';
import { captureLog } from '@tsips/testkit';
import { TICK_MS, TimerWheel } from '../src/transaction/timer-wheel.js';

function logger() {
  const { destination, lines } = captureLog();
  const { root: log } = createLogger({ level: 'warn', destination });
  return { log, lines };
}

/** Runs `body` with setTimeout and performance.now on a fake clock: the wheel's timing becomes exact. */
async function onFakeClock(body: () => void | Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  try {
    await body();
  } finally {
    vi.useRealTimers();
  }
}

describe('timer wheel', () => {
  it('fires in deadline order, skips cancelled timers', async () => {
    await onFakeClock(() => {
      const { log } = logger();
      const w = new TimerWheel(log);
      const seen: string[] = [];
      w.schedule('c', 30, () => seen.push('c'));
      w.schedule('a', 5, () => seen.push('a'));
      const b = w.schedule('b', 15, () => seen.push('b'));
      w.cancel(b);
      vi.advanceTimersByTime(TICK_MS);
      expect(seen).toEqual(['a']);
      vi.advanceTimersByTime(30 - TICK_MS);
      expect(seen).toEqual(['a', 'c']);
      expect(w.size).toBe(0);
      w.stop();
    });
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

  it('reports a throwing callback to onError (the core counts it) and goes on even when onError throws', async () => {
    const { log, lines } = logger();
    const seen: string[] = [];
    const w = new TimerWheel(log, (err, timer) => {
      seen.push(`${timer}: ${(err as Error).message}`);
      throw new Error('reporter broken too');
    });
    let ran = 0;
    w.schedule('boom', 5, () => {
      throw new Error('bad');
    });
    w.schedule('ok', 6, () => void ran++);
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual(['boom: bad']);
    expect(ran).toBe(1);
    expect(lines.some((l) => l.msg === 'timer callback failed')).toBe(false);
    w.stop();
  });

  it('runs the timers due within one tick in one callback, never early and at most a tick late', async () => {
    await onFakeClock(() => {
      const { log } = logger();
      const w = new TimerWheel(log);
      const now = performance.now();
      const boundary = Math.ceil(now / TICK_MS) * TICK_MS + TICK_MS; // a whole tick ahead
      const ran: { k: number; at: number; due: number }[] = [];
      for (let k = 4; k >= 0; k--) {
        const due = boundary - 1 - k * (TICK_MS / 6); // inside the tick ending at `boundary`
        w.schedule(`t${k}`, due - now, () => ran.push({ k, at: performance.now(), due }));
      }
      expect(vi.getTimerCount()).toBe(1); // one wake-up serves the whole tick
      vi.advanceTimersByTime(boundary - 1 - now);
      expect(ran).toEqual([]); // never before the tick
      vi.advanceTimersByTime(1);
      expect(ran.map((r) => r.k)).toEqual([4, 3, 2, 1, 0]);
      for (const r of ran) {
        expect(r.at).toBe(boundary); // all in the one callback at the tick's end
        expect(r.at - r.due).toBeLessThan(TICK_MS);
      }
      expect(vi.getTimerCount()).toBe(0);
      w.stop();
    });
  });
});
