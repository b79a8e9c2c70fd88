/** The typed b2b_api_t bound by another module: notify types, add_dlginfo, dlginfo matching, the owner deletes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule, type AnyModule } from '@core/sip';
import { B2B_CLIENT, B2B_REPLY, B2B_REQUEST, B2B_SERVER, type B2bApi, type B2bDlgInfo, type B2bNotifyInfo } from '../src/index.js';
import { B2bServer, SDP, Ua, headerOf, methodOf, statusOf, tagOf } from './helpers.js';

const seen: { type: number; et: number; method: string; code: number; param: unknown }[] = [];
const dlginfos: B2bDlgInfo[] = [];
let api!: B2bApi;
const probe = defineModule({
  name: 'b2b_probe',
  version: '0.0.0',
  deps: [{ module: 'b2b_entities' }],
  init(ctx) {
    api = ctx.api('b2b_entities');
    return {};
  },
});
const record = (i: B2bNotifyInfo) => void seen.push({ type: i.type, et: i.entityType, method: i.method, code: i.code, param: i.param });

let h: B2bServer;
beforeAll(async () => {
  h = await B2bServer.start({}, { modules: [probe as AnyModule] });
});
afterAll(() => h.stop());

const list = async () => (await h.mi('b2be_list')) as Record<string, unknown>[];

describe('b2b_api_t', () => {
  it('client_new: B2B_REPLY notifies, add_dlginfo once on the 2xx, TERMINATED after BYE but kept until entity_delete', async () => {
    seen.length = 0;
    const callee = await Ua.open(h.port, 'bob');
    const key = api.client_new(
      { ruri: `sip:bob@127.0.0.1:${callee.port}`, from: '"A" <sip:a@example.com>', to: 'sip:b@example.com', body: SDP },
      { notify: record, modName: 'b2b_probe', logicKey: 'tuple-1', param: 'p1', addDlgInfo: (d, k, p) => void dlginfos.push({ ...d, k, p } as B2bDlgInfo) },
    );
    const inv = (await callee.next()).text;
    callee.learnInvite(inv);
    await callee.reply(inv, 183, 'Session Progress', { body: SDP });
    await callee.reply(inv, 200, 'OK', { body: SDP });
    expect(methodOf((await callee.next()).text)).toBe('ACK');
    await expect
      .poll(() => seen.map((s) => [s.type, s.et, s.method, s.code, s.param]))
      .toEqual([
        [B2B_REPLY, B2B_CLIENT, 'INVITE', 183, 'p1'],
        [B2B_REPLY, B2B_CLIENT, 'INVITE', 200, 'p1'],
      ]);
    expect(dlginfos).toEqual([{ callid: key, fromTag: tagOf(headerOf(inv, 'From')), toTag: callee.localTag, k: key, p: 'p1' }]);
    expect((await list()).find((e) => e['callid'] === key)).toMatchObject({ logic_key: 'tuple-1', mod_name: 'b2b_probe', state: 5 });
    expect(api.update_b2bl_param(B2B_CLIENT, key, 'tuple-2')).toBe(0);
    expect(api.update_b2bl_param(B2B_CLIENT, 'B2B.0.0.0.0', 'x')).toBe(-1);
    expect((await list()).find((e) => e['callid'] === key)?.['logic_key']).toBe('tuple-2');
    // restore_logic_info swaps the callback and param.
    const after: string[] = [];
    expect(api.restore_logic_info(B2B_CLIENT, key, (i) => void after.push(`${i.method}:${String(i.param)}`), 'p2')).toBe(0);
    // A wrong dialog info is refused, naming it.
    expect(() => api.send_request(B2B_CLIENT, key, { method: 'OPTIONS' }, { callid: 'other', fromTag: 'x', toTag: '' })).toThrow(
      `E_B2B_STATE: send_request: entity "${key}" does not match the dialog info given (Call-ID / tags)`,
    );
    await callee.sendInDialog('BYE');
    await expect.poll(() => after).toEqual(['BYE:p2']);
    // b2b_entities never deletes: the owner answers and deletes.
    expect((await list()).find((e) => e['callid'] === key)?.['state']).toBe(8);
    expect(api.send_reply(B2B_CLIENT, key, { method: 'BYE', code: 200 })).toBe(0);
    expect(statusOf((await callee.next()).text)).toBe(200);
    expect((await list()).some((e) => e['callid'] === key)).toBe(true);
    api.entity_delete(B2B_CLIENT, key);
    expect((await list()).some((e) => e['callid'] === key)).toBe(false);
    expect(() => api.send_request(B2B_CLIENT, key, { method: 'OPTIONS' })).toThrow(`E_B2B_KEY: send_request: no b2b entity with key "${key}"`);
    callee.close();
  });

  it('server_new from a script: B2B_REQUEST for ACK and BYE; a late request after delete gets 481', async () => {
    seen.length = 0;
    let key = '';
    h.steer.request = (ctx) => {
      if (ctx.is_method('INVITE') && !ctx.has_totag()) {
        key = api.server_new(ctx, { notify: record, modName: 'b2b_probe', param: 's' });
        api.send_reply(B2B_SERVER, key, { code: 200, text: 'OK', body: SDP });
      }
    };
    const ua = await Ua.open(h.port);
    await ua.invite();
    const ok = (await ua.next()).text;
    ua.learn(ok);
    await ua.sendInDialog('ACK');
    await ua.sendInDialog('BYE');
    await expect.poll(() => seen.map((s) => `${s.type}:${s.et}:${s.method}`)).toEqual([`${B2B_REQUEST}:${B2B_SERVER}:ACK`, `${B2B_REQUEST}:${B2B_SERVER}:BYE`]);
    api.send_reply(B2B_SERVER, key, { code: 200 });
    expect(statusOf((await ua.next()).text)).toBe(200);
    api.entity_delete(B2B_SERVER, key);
    await ua.sendInDialog('OPTIONS');
    expect(statusOf((await ua.next()).text)).toBe(481);
    h.steer.request = undefined;
    ua.close();
  });
});
