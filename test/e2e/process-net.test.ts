/**
 * The last net of the `tsips` binary (process-net.ts): a script bug outside every boundary, an unhandled
 * rejection or an exception thrown from a timer, is logged, counted in `core:unhandled_errors` (MI and
 * /metrics) and survived: the server answers the next OPTIONS. Without the net Node exits on the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpPeer, request, statusOf } from '@tsips/testkit';
import { miCall } from '@core/sip';
import { startTsips, type TsipsProcess } from '../support/tsips.js';

let tsips: TsipsProcess;
let uac: UdpPeer;

beforeAll(async () => {
  tsips = await startTsips(['--config', 'test/fixtures/unhandled.config.ts'], { listen: (p) => [`udp:127.0.0.1:${p}`] });
  uac = await UdpPeer.open();
});
afterAll(async () => {
  uac.close();
  await tsips?.stop();
});

const unhandled = async (): Promise<number> => {
  const r = (await miCall(tsips.miUrl, 'get_statistics', { statistics: ['core:unhandled_errors'] })) as Record<string, number>;
  return r['core:unhandled_errors'] ?? -1;
};

async function options(user: string): Promise<number> {
  await uac.send(request('OPTIONS', `sip:${user}@127.0.0.1:${tsips.sipPort}`, uac.port), tsips.sipPort);
  return statusOf((await uac.next(5000)).text);
}

describe('tsips survives errors nobody handled', () => {
  it('starts with no unhandled error', async () => {
    expect(await unhandled()).toBe(0);
  });

  it('an unhandled rejection: logged, counted, and the server still answers', async () => {
    expect(await options('reject')).toBe(200);
    await expect.poll(unhandled, { timeout: 5000 }).toBe(1);
    expect(await options('anyone')).toBe(200);
    const line =
      tsips
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"unhandled rejection (kept running)"')) ?? '';
    expect(line).toContain('"kind":"unhandledRejection"');
    expect(line).toContain('deliberate unhandled rejection');
  });

  it('an uncaught exception from a timer: logged, counted, and the server still answers', async () => {
    expect(await options('throw')).toBe(200);
    await expect.poll(unhandled, { timeout: 5000 }).toBe(2);
    expect(await options('anyone')).toBe(200);
    expect(tsips.output()).toContain('"msg":"uncaught exception (kept running)"');
    const metrics = await (await fetch(`http://127.0.0.1:${tsips.miPort}/metrics`)).text();
    expect(metrics).toMatch(/^tsips_core_unhandled_errors_total 2$/m);
    expect(tsips.proc.exitCode).toBeNull();
  });
});
