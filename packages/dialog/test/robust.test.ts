/**
 * Timer bodies of the dialog module never throw into the event loop (issue 11): a dialog whose stored
 * Contact no longer builds a request (a row edited in the DB, a module that rewrote it) expires with BYE
 * on timeout; building the BYE throws inside the expiry timer. The error is counted in
 * core:internal_errors, the dialog still ends and leaves the table, and the other side still gets its BYE.
 * Before, the throw left the timer as an uncaught exception (vitest fails the run) and the dialog stayed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Dlg } from '../src/index.js';
import { Proxy, answerNext, call } from './proxy.js';
import { methodOf } from './sip-ua.js';

let p: Proxy;
beforeAll(async () => {
  p = await Proxy.start();
});
afterAll(async () => {
  await p.stop();
});

it('a BYE on timeout that cannot be built is reported, and the dialog still ends', async () => {
  let dlg: Dlg | undefined;
  p.hooks.flags = 'B';
  p.hooks.initial = (ctx) => {
    ctx.DLG_timeout(1);
    dlg = p.api.getDlg(ctx);
  };
  const errors = (): number => p.server.stats.query(['core:internal_errors'])[0]?.value ?? 0;
  const before = errors();
  const expired = p.stat('expired_dialogs');
  const c = await call(p);
  expect(dlg).toBeDefined();
  // A Request-URI with a space: the BYE to the callee fails in the request parser.
  dlg!.calleeContact = 'sip:bob@127.0.0.1 broken';
  // The caller's BYE is built from its own, good Contact.
  expect(methodOf(await answerNext(c.caller, 200, 4000))).toBe('BYE');
  await expect.poll(errors, { timeout: 3000 }).toBe(before + 1);
  expect(p.stat('expired_dialogs')).toBe(expired + 1);
  await expect.poll(() => p.api.lookupDlg(dlg!.hEntry, dlg!.hId)).toBeUndefined();
  expect(await c.callee.silent(300)).toBe(true);
  c.caller.close();
  c.callee.close();
});
