/**
 * 10 % packet loss on the caller's side (sipp `-lost 10`): 1,000 calls at 50 cps through the default server
 * must all complete, as they do without loss. Retransmissions on both sides carry them; a BYE whose 200 was
 * lost several times comes back after tm freed its transaction and must still get the 200 (timer J), not
 * be relayed to a UAS that has forgotten the call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp } from '@tsips/testkit';
import { startTsips, type TsipsProcess } from '../support/tsips.js';
import { SCENARIOS } from '../support/sipp.js';

let tsips: TsipsProcess;
beforeAll(async () => {
  tsips = await startTsips();
});
afterAll(async () => {
  await tsips?.stop();
});

describe('the default server under 10 % packet loss', () => {
  it('completes 1,000 of 1,000 calls', { timeout: 120_000 }, async () => {
    const uas = await startSipp(['-sf', `${SCENARIOS}uas-call.xml`], { timeoutMs: 100_000 });
    await uas.listening();
    const uac = await startSipp(
      [`127.0.0.1:${uas.port}`, '-sf', `${SCENARIOS}uac-call.xml`, '-rsa', `127.0.0.1:${tsips.sipPort}`, '-s', 'bob', '-m', '1000', '-r', '50', '-lost', '10'],
      { timeoutMs: 90_000 },
    );
    const r = await uac.done;
    uas.kill();
    expect({ successful: r.successful, failed: r.failed }, r.out.slice(-3000)).toEqual({ successful: 1000, failed: 0 });
  });
});
