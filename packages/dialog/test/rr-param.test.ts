/** rr_param: the dialog id travels in a Record-Route param of the configured name, and in-dialog requests match by it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call } from './proxy.js';
import { headerOf, statusOf } from './sip-ua.js';

let p: Proxy;
beforeAll(async () => {
  // Match mode 0: by the Route param only, so a match proves the param name is the one configured.
  p = await Proxy.start({ dialog: { rr_param: 'dlgx', dlg_match_mode: 0 } });
});
afterAll(async () => {
  await p.stop();
});

describe('rr_param', () => {
  it('puts the dialog id in ;dlgx= and matches the BYE by it', async () => {
    const c = await call(p);
    const rr = headerOf(c.invite, 'Record-Route') ?? '';
    expect(rr).toMatch(/;dlgx=[0-9a-f]+\.[0-9a-f]+/);
    expect(rr).not.toMatch(/;did=/);
    await c.caller.sendInDialog('BYE');
    await answerNext(c.callee);
    expect(statusOf((await c.caller.nextNon100()).text)).toBe(200);
    expect(p.cbTypes(c.caller.callId)).toContain('DLGCB_TERMINATED');
    c.caller.close();
    c.callee.close();
  });

  it('refuses a name that is not a SIP param token', async () => {
    await expect(Proxy.start({ dialog: { rr_param: 'a b' } })).rejects.toThrow(/rr_param/);
  });
});
