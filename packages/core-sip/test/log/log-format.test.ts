/** Log line format: JSON for a given destination by default, readable lines when pretty is asked for (option or env). */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { parseLogFormat, resolveLogFormat } from '../../src/log-format.js';

function raw(): { dest: Writable; out: string[] } {
  const out: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { dest, out };
}

const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('log format', () => {
  const saved = process.env['TSIPS_LOG_FORMAT'];
  beforeEach(() => void delete process.env['TSIPS_LOG_FORMAT']);
  afterEach(() => {
    if (saved === undefined) delete process.env['TSIPS_LOG_FORMAT'];
    else process.env['TSIPS_LOG_FORMAT'] = saved;
  });

  it('writes JSON to a given destination unless told otherwise', () => {
    const { dest, out } = raw();
    createLogger({ destination: dest }).control.child('tm').info({ callid: 'c1' }, 'hello');
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ module: 'tm', callid: 'c1', msg: 'hello', level: 30 });
  });

  it('pretty: one readable line with time, level, module and the other fields, no colours off a terminal', () => {
    const { dest, out } = raw();
    createLogger({ destination: dest, format: 'pretty' })
      .control.child('transport')
      .warn({ sockets: ['udp:127.0.0.1:5060'] }, 'transport listening');
    expect(out).toHaveLength(1);
    const line = out[0]!;
    expect(isJson(line)).toBe(false);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: transport: transport listening \{"sockets":\["udp:127\.0\.0\.1:5060"\]\}\n$/);
    expect(line).not.toContain('\u001b[');
  });

  it('TSIPS_LOG_FORMAT picks the format when the caller gives none, and an explicit one wins', () => {
    process.env['TSIPS_LOG_FORMAT'] = 'pretty';
    const a = raw();
    createLogger({ destination: a.dest }).root.info('from env');
    expect(a.out[0]).toMatch(/INFO: from env\n$/);
    const b = raw();
    createLogger({ destination: b.dest, format: 'json' }).root.info('explicit');
    expect(JSON.parse(b.out[0]!)).toMatchObject({ msg: 'explicit' });
  });

  it('auto is pretty only for stdout on a TTY; unknown formats are refused', () => {
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('auto', true)).toBe(process.stdout.isTTY === true ? 'pretty' : 'json');
    expect(parseLogFormat(' Pretty ')).toBe('pretty');
    expect(parseLogFormat('xml')).toBeUndefined();
    expect(() => createLogger({ format: 'xml' })).toThrowErrorMatchingInlineSnapshot(`[Error: E_LOG_FORMAT: unknown log format "xml" (use auto, pretty, json)]`);
  });
});
