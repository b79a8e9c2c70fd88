/**
 * apps/server/examples/registrant.ts as an operator runs it: the tsips binary with that config, a row added
 * with MI reg_upsert over HTTP, registered with digest on a real Kamailio registrar within timer_interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioPassword, startKamailioRegistrar, waitFor, type KamailioRegistrar } from '@tsips/testkit';
import { startTsips, type TsipsProcess } from '../support/tsips.js';

let k: KamailioRegistrar;
let t: TsipsProcess;

async function mi(method: string, params?: Record<string, unknown>): Promise<unknown> {
  const r = await fetch(t.miUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

beforeAll(async () => {
  k = await startKamailioRegistrar({ auth: true });
  t = await startTsips(['--config', 'apps/server/examples/registrant.ts'], { listen: (p) => [`udp:127.0.0.1:${p}`] });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await k?.stop();
});

describe('examples/registrant.ts', () => {
  it('starts with no rows; a row added with reg_upsert registers with digest within timer_interval', async () => {
    expect(await mi('reg_list')).toEqual({ Records: [] });
    const contact = `sip:1001@127.0.0.1:${t.sipPort}`;
    await mi('reg_upsert', { aor: 'sip:1001@tsips.test', contact, registrar: k.uri, username: '1001', password: kamailioPassword('1001'), expiry: 600 });
    await waitFor(
      async () => ((await mi('reg_list')) as { Records: { state: string }[] }).Records[0]?.state === 'REGISTERED_STATE',
      8000,
      () => 'not registered within 8 s',
      100,
    );
    expect(await k.contacts('1001')).toEqual([contact]);
  });
});
