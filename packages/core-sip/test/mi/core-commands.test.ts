import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MiError, ctime } from '../../src/mi/index.js';
import { coreSetup } from './setup.js';

describe('core MI commands', () => {
  it('version and uptime', async () => {
    const { mi } = coreSetup();
    expect(await mi.call('version', undefined)).toEqual({ Server: `tsips (0.1.0 (${process.arch}/${process.platform}))` });
    const up = (await mi.call('uptime', undefined)) as Record<string, string>;
    expect(Object.keys(up)).toEqual(['Now', 'Up since', 'Up time']);
    expect(up['Up time']).toMatch(/^4[2-3] \[sec\]$/);
    expect(up['Now']).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d \d{4}$/);
  });

  it('ctime uses the C layout', () => {
    expect(ctime(new Date(2024, 0, 4, 9, 5, 7))).toBe('Thu Jan  4 09:05:07 2024');
  });

  it('which lists the commands, help describes one', async () => {
    const { mi } = coreSetup();
    expect(await mi.call('which', undefined)).toEqual([
      'version',
      'uptime',
      'which',
      'help',
      'get_statistics',
      'list_statistics',
      'reset_statistics',
      'log_level',
      'mem_gc',
      'list_modules',
    ]);
    expect(await mi.call('help', ['get_statistics'])).toEqual({
      Help: 'Prints statistics: `all`, a group (`tm:`), a name, or `group:name`',
      'Exported by': 'core',
      Params: ['statistics'],
    });
    await expect(mi.call('help', { mi_cmd: 'nope' })).rejects.toThrow(new MiError(-32000, 'Unknown MI command: nope'));
  });

  it('get_statistics takes an array or a string', async () => {
    const { mi } = coreSetup();
    expect(await mi.call('get_statistics', { statistics: ['rcv_requests', 'dialog:'] })).toEqual({
      'core:rcv_requests': 3,
      'dialog:active_dialogs': 4,
    });
    expect(await mi.call('get_statistics', ['core:rcv_replies'])).toEqual({ 'core:rcv_replies': 2 });
    expect(await mi.call('get_statistics', { statistics: 'core:rcv_requests core:rcv_replies' })).toEqual({
      'core:rcv_requests': 3,
      'core:rcv_replies': 2,
    });
    await expect(mi.call('get_statistics', { statistics: ['nope:'] })).rejects.toThrow('Statistics Not Found');
    await expect(mi.call('get_statistics', { statistics: [1] })).rejects.toThrow('Invalid params: "statistics" must hold strings');
  });

  it('list_statistics tells incremental from non-incremental', async () => {
    const { mi } = coreSetup();
    const all = (await mi.call('list_statistics', undefined)) as Record<string, string>;
    expect(all['core:rcv_requests']).toBe('incremental');
    expect(all['core:timestamp']).toBe('non-incremental');
    expect(all['dialog:active_dialogs']).toBe('non-incremental');
    expect(await mi.call('list_statistics', { statistics: ['dialog:'] })).toEqual({ 'dialog:active_dialogs': 'non-incremental' });
  });

  it('reset_statistics resets all but noReset stats', async () => {
    const { mi } = coreSetup();
    expect(await mi.call('reset_statistics', { statistics: ['all'] })).toBe('OK');
    expect(await mi.call('get_statistics', { statistics: ['core:rcv_requests', 'dialog:active_dialogs'] })).toEqual({
      'core:rcv_requests': 0,
      'dialog:active_dialogs': 4,
    });
  });

  it('log_level shows and sets the level of existing module loggers', async () => {
    const { mi, lines, control } = coreSetup();
    const tm = control.child('tm');
    expect(await mi.call('log_level', undefined)).toEqual({ Level: 'info' });
    tm.debug('before');
    expect(await mi.call('log_level', { level: 4 })).toEqual({ Level: 'debug' });
    tm.debug('after');
    expect(await mi.call('log_level', ['-1'])).toEqual({ Level: 'error' });
    tm.warn('hidden');
    expect(await mi.call('log_level', { level: 'warn' })).toEqual({ Level: 'warn' });
    await expect(mi.call('log_level', { level: 'loud' })).rejects.toThrow('Invalid params: unknown log level "loud"');
    expect(lines.map((l) => l['msg'])).toEqual(['after']);
  });

  it('list_modules', async () => {
    const { mi } = coreSetup();
    expect(await mi.call('list_modules', undefined)).toEqual({ Modules: [{ Name: 'tm', Version: '0.1.0' }] });
  });

  it('mem_gc refuses without node --expose-gc, and with it collects and prints the heap', async () => {
    const { mi } = coreSetup();
    const g = globalThis as { gc?: () => void };
    const own = g.gc;
    if (own === undefined) {
      await expect(mi.call('mem_gc', undefined)).rejects.toThrow('mem_gc needs the process started with node --expose-gc');
      // The same function --expose-gc installs, taken from a fresh context once the flag is set.
      setFlagsFromString('--expose-gc');
      g.gc = runInNewContext('gc') as () => void;
    }
    try {
      // 8 MB of garbage made just before: a full collection frees it.
      let junk: number[][] | null = Array.from({ length: 1000 }, () => new Array<number>(1000).fill(1));
      expect(junk.length).toBe(1000);
      junk = null;
      const r = (await mi.call('mem_gc', undefined)) as { before: { heap_used: number }; after: { heap_used: number; rss: number } };
      expect(r.after.heap_used).toBeGreaterThan(0);
      expect(r.after.rss).toBeGreaterThan(r.after.heap_used);
      expect(r.before.heap_used - r.after.heap_used).toBeGreaterThan(4_000_000);
    } finally {
      if (own === undefined) delete g.gc;
    }
  });
});
