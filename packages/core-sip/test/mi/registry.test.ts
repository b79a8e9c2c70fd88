import { describe, expect, it } from 'vitest';
import { captureLog } from '@tsips/testkit';
import { MiError, MiErrorCode, MiRegistryImpl } from '../../src/mi/index.js';
import type { MiParams } from '../../src/mi/index.js';

/** Rejection of `p` as `{ code, message }`, failing when it resolves or throws something else. */
async function miFailure(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MiError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an MiError');
}

function registry(): { mi: MiRegistryImpl; seen: MiParams[]; lines: Record<string, unknown>[] } {
  const { log, lines } = captureLog('info');
  const mi = new MiRegistryImpl(log);
  const seen: MiParams[] = [];
  mi.register({
    module: 'dialog',
    name: 'dlg_end_dlg',
    help: 'ends a dialog',
    params: ['dialog_id', 'extra_hdrs?'],
    handler: (p) => {
      seen.push(p);
      return { ended: p['dialog_id'] };
    },
  });
  mi.register({ module: 'core', name: 'noop', help: '', params: [], handler: () => undefined });
  mi.register({
    module: 'core',
    name: 'fails',
    help: '',
    params: ['how'],
    handler: (p) => {
      if (p['how'] === 'mi') throw new MiError(404, 'Dialog not found');
      if (p['how'] === 'reject') return Promise.reject(new TypeError('async bug'));
      throw new Error('sync bug');
    },
  });
  return { mi, seen, lines };
}

describe('MI registry', () => {
  it('registers, lists, gets, and rejects duplicates', () => {
    const { mi } = registry();
    expect(mi.list().map((c) => c.name)).toEqual(['dlg_end_dlg', 'noop', 'fails']);
    expect(mi.get('noop')?.module).toBe('core');
    expect(() => mi.register({ module: 'other', name: 'noop', help: '', params: [], handler: () => 1 })).toThrowErrorMatchingInlineSnapshot(
      `[MiRegistryError: E_MI_DUPLICATE: MI command "noop" of module "other" is already registered by "core"]`,
    );
    expect(() => mi.register({ module: 'x', name: 'bad', help: '', params: ['a', 'a?'], handler: () => 1 })).toThrow(/E_MI_DECLARATION/);
  });

  it('maps positional params onto declared names in order', async () => {
    const { mi, seen } = registry();
    expect(await mi.call('dlg_end_dlg', ['123:456'])).toEqual({ ended: '123:456' });
    await mi.call('dlg_end_dlg', ['1', 'X-Reason: test\r\n']);
    await mi.call('dlg_end_dlg', { dialog_id: '9' });
    expect(seen).toEqual([{ dialog_id: '123:456' }, { dialog_id: '1', extra_hdrs: 'X-Reason: test\r\n' }, { dialog_id: '9' }]);
  });

  it('answers OK for a command that returns nothing, and accepts no params', async () => {
    const { mi } = registry();
    expect(await mi.call('noop', undefined)).toBe('OK');
    expect(await mi.call('noop', [])).toBe('OK');
  });

  it('rejects unknown methods and bad params with JSON-RPC codes', async () => {
    const { mi } = registry();
    expect(await miFailure(mi.call('nope', {}))).toEqual({ code: MiErrorCode.MethodNotFound, message: 'Method not found: nope' });
    expect(await miFailure(mi.call('dlg_end_dlg', {}))).toEqual({ code: -32602, message: 'Invalid params: missing "dialog_id"' });
    expect(await miFailure(mi.call('dlg_end_dlg', []))).toEqual({ code: -32602, message: 'Invalid params: missing "dialog_id"' });
    expect(await miFailure(mi.call('dlg_end_dlg', { dialog_id: '1', callid: 'x' }))).toEqual({
      code: -32602,
      message: 'Invalid params: unknown "callid"',
    });
    expect(await miFailure(mi.call('dlg_end_dlg', ['1', '2', '3']))).toEqual({
      code: -32602,
      message: 'Invalid params: dlg_end_dlg takes at most 2 param(s), got 3',
    });
  });

  it('passes MiError through and turns other failures into logged InternalError', async () => {
    const { mi, lines } = registry();
    expect(await miFailure(mi.call('fails', { how: 'mi' }))).toEqual({ code: 404, message: 'Dialog not found' });
    expect(await miFailure(mi.call('fails', { how: 'sync' }))).toEqual({ code: -32603, message: 'Internal error: sync bug' });
    expect(await miFailure(mi.call('fails', ['reject']))).toEqual({ code: -32603, message: 'Internal error: async bug' });
    expect(lines.filter((l) => l['msg'] === 'MI command failed').map((l) => l['mi'])).toEqual(['fails', 'fails']);
  });
});
