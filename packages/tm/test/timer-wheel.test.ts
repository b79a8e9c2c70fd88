import { describe, expect, it } from 'vitest';
import { createLogger } from '@core/sip';
import { captureLog } from '@tsips/testkit';
import { TICK_MS, TimerWheel } from '../src/transaction/timer-wheel.js';

function logger() {
  const { destination, lines } = captureLog();
  const { root: log } = createLogger({ level: 'warn', destination });
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
    const { log } = logger();
    const w = new TimerWheel(log);
    const now = performance.now();
    const boundary = Math.ceil((now + 3) / TICK_MS) * TICK_MS + TICK_MS; // a whole tick ahead
    const ran: { k: number; at: number; due: number; turn: number }[] = [];
    let turn = 0;
    const bump = setInterval(() => turn++, 1); // a new macrotask in between would show as a new turn
    for (let k = 4; k >= 0; k--) {
      const due = boundary - 1 - k * (TICK_MS / 6); // inside the tick even after the ms it takes to schedule
      w.schedule(`t${k}`, due - now, () => ran.push({ k, at: performance.now(), due, turn }));
    }
    await new Promise((r) => setTimeout(r, boundary - now + 3 * TICK_MS));
    clearInterval(bump);
    expect(ran.map((r) => r.k)).toEqual([4, 3, 2, 1, 0]);
    expect(new Set(ran.map((r) => r.turn)).size).toBe(1);
    for (const r of ran) {
      expect(r.at).toBeGreaterThanOrEqual(r.due - 1);
      expect(r.at - r.due).toBeLessThan(TICK_MS + 20);
    }
    w.stop();
  });
});
