/** captureLog keeps every line a pino logger writes, as parsed lines and as named-level entries. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { captureLog } from '../src/index.js';

describe('captureLog', () => {
  it('keeps lines at and above its level, with their fields', () => {
    const { log, lines, entries } = captureLog('info');
    log.debug('hidden');
    log.info({ callid: 'c1' }, 'hello');
    log.error({ err: new Error('boom') }, 'failed');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'hello'],
      [50, 'failed'],
    ]);
    expect(entries[0]).toEqual({ level: 'info', msg: 'hello', fields: { callid: 'c1' } });
    expect(entries[1]?.level).toBe('error');
    expect((entries[1]?.fields['err'] as { message: string }).message).toBe('boom');
  });

  it('is a destination for another logger, splitting a chunk of several lines', () => {
    const { destination, lines } = captureLog();
    pino({ level: 'warn' }, destination).warn({ module: 'tm' }, 'one');
    destination.write('{"level":30,"msg":"a"}\n{"level":40,"msg":"b"}\n');
    expect(lines.map((l) => l.msg)).toEqual(['one', 'a', 'b']);
    expect(lines[0]?.['module']).toBe('tm');
  });
});
