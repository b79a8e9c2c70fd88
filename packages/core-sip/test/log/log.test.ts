import { afterEach, describe, expect, it } from 'vitest';
import { captureLog } from '@tsips/testkit';
import { createLogger, parseLogLevel } from '../../src/log.js';

/** A destination for createLogger that keeps its lines. */
function memory(): { dest: { write(chunk: string): void }; lines: Record<string, unknown>[] } {
  const { destination, lines } = captureLog();
  return { dest: destination, lines };
}

describe('logging', () => {
  const saved = process.env['TSIPS_LOG_LEVEL'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TSIPS_LOG_LEVEL'];
    else process.env['TSIPS_LOG_LEVEL'] = saved;
  });

  it('writes structured JSON with the module name, default level info', () => {
    delete process.env['TSIPS_LOG_LEVEL'];
    const { dest, lines } = memory();
    const { root, control } = createLogger({ destination: dest, name: 'tsips' });
    const tm = control.child('tm');
    tm.info({ callid: 'abc' }, 'hello');
    tm.debug('hidden');
    root.warn('root line');
    expect(control.getLevel()).toBe('info');
    expect(lines.map((l) => [l['module'], l['msg'], l['name']])).toEqual([
      ['tm', 'hello', 'tsips'],
      [undefined, 'root line', 'tsips'],
    ]);
    expect(lines[0]).toMatchObject({ callid: 'abc', level: 30 });
  });

  it('setLevel changes existing children at run time', () => {
    const { dest, lines } = memory();
    const { root, control } = createLogger({ destination: dest, level: 'info' });
    const tm = control.child('tm');
    const dialog = control.child('dialog');
    tm.debug('d1');
    expect(lines).toHaveLength(0);
    control.setLevel('debug');
    tm.debug('d2');
    dialog.debug('d3');
    root.debug('d4');
    expect(lines.map((l) => l['msg'])).toEqual(['d2', 'd3', 'd4']);
    control.setLevel('error');
    tm.warn('w');
    dialog.info('i');
    tm.error('e');
    expect(lines.map((l) => l['msg'])).toEqual(['d2', 'd3', 'd4', 'e']);
    // disabled levels are pino's shared no-op on children too, not a level check per call
    expect(tm.info.name).toBe('noop');
    expect(tm.info).toBe(dialog.debug);
    expect(tm.error.name).not.toBe('noop');
    // a child made after the change starts at the current level
    control.child('late').warn('w2');
    expect(lines).toHaveLength(4);
  });

  it('takes TSIPS_LOG_LEVEL when no level is given, and rejects unknown levels', () => {
    process.env['TSIPS_LOG_LEVEL'] = 'warn';
    const { dest } = memory();
    const { control } = createLogger({ destination: dest });
    expect(control.getLevel()).toBe('warn');
    expect(() => control.setLevel('loud')).toThrowErrorMatchingInlineSnapshot(
      `[Error: E_LOG_LEVEL: unknown log level "loud" (use trace, debug, info, warn, error, fatal, silent or -3..4)]`,
    );
    expect(control.getLevel()).toBe('warn');
  });

  it('maps OpenSIPS levels', () => {
    expect([-3, -2, -1, 1, 2, 3, 4].map((n) => parseLogLevel(n))).toEqual(['fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug']);
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel('notice')).toBe('info');
    expect(parseLogLevel('0')).toBeUndefined();
    expect(parseLogLevel('5')).toBeUndefined();
  });
});
