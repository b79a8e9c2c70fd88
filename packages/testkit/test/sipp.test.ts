/** The sipp launcher: parallel runs on their own -p/-cp ports, the final counters and exit code read back. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startSipp, udpPortBound } from '../src/index.js';

const SCENARIOS = fileURLToPath(new URL('../../../test/sipp/', import.meta.url));

/** A sipp UAS answering `calls` OPTIONS and a sipp UAC sending them to it. */
async function pair(calls: number) {
  const uas = await startSipp(['-sf', `${SCENARIOS}uas-options.xml`, '-m', String(calls)]);
  await uas.listening();
  expect(await udpPortBound(uas.port)).toBe(true);
  const uac = await startSipp([`127.0.0.1:${uas.port}`, '-sf', `${SCENARIOS}uac-options.xml`, '-s', 'x', '-m', String(calls), '-r', '20']);
  const [a, b] = await Promise.all([uac.done, uas.done]);
  return { uas, uac, a, b };
}

describe('startSipp', () => {
  it('runs two UAS/UAC pairs at once, each on its own free SIP and control ports, and reads their counters', async () => {
    const [one, two] = await Promise.all([pair(3), pair(2)]);
    expect([one.a.code, one.b.code, two.a.code, two.b.code], one.a.out + two.a.out).toEqual([0, 0, 0, 0]);
    expect([one.a.successful, one.a.failed, two.a.successful, two.a.failed]).toEqual([3, 0, 2, 0]);
    const ports = [one.uas, one.uac, two.uas, two.uac].flatMap((r) => [r.port, r.controlPort]);
    expect(new Set(ports).size).toBe(8);
    expect(ports).not.toContain(5060);
    expect(ports).not.toContain(8888);
    expect(existsSync(one.uac.cwd)).toBe(false); // the temporary directory the launcher made is gone
  });

  it('reports a failed call and a non-zero exit code', async () => {
    // Nobody listens on the port any more (that UAS was killed): the OPTIONS gets no reply, the call fails on -recv_timeout.
    const silent = await startSipp(['-sf', `${SCENARIOS}uas-options.xml`, '-m', '1']);
    await silent.listening();
    silent.kill();
    await silent.done;
    const uac = await startSipp([`127.0.0.1:${silent.port}`, '-sf', `${SCENARIOS}uac-options.xml`, '-s', 'x', '-m', '1', '-recv_timeout', '300']);
    const r = await uac.done;
    expect(r.code).not.toBe(0);
    expect(r.failed).toBe(1);
    expect(r.successful).toBe(0);
  });
});
