/** In-dialog OPTIONS pinging (create_dialog P/p): healthy peers keep the call, silent or 481 peers end it. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Proxy, answerNext, call } from './proxy.js';
import { cseqOf, headerOf, methodOf, replyTo, statusOf, tagOf, type Ua } from './sip-ua.js';

let p: Proxy;
beforeAll(async () => {
  // Pings every 0.3 s; an unanswered ping times out after fr_timer (0.4 s); two in a row end the call.
  p = await Proxy.start({ dialog: { options_ping_interval: 0.3, options_ping_max_failures: 2 }, tm: { fr_timer: 0.4 } });
});
afterAll(async () => {
  await p.stop();
});
beforeEach(() => {
  p.hooks = { flags: 'p', recordRoute: true };
});

/** The next request that is not a ping: pings met on the way are answered 200 and their CSeqs collected. */
async function nextNotPing(ua: Ua, pings: number[], ms = 3000): Promise<string> {
  for (;;) {
    const r = (await ua.nextNon100(ms)).text;
    if (methodOf(r) !== 'OPTIONS') return r;
    pings.push(cseqOf(r));
    await ua.reply(r, 200, 'OK');
  }
}

const alive = async (callid: string) => ((await p.mi('dlg_list', { callid })) as { Dialogs: unknown[] }).Dialogs.length === 1;

describe('pinging', () => {
  it('pings the callee in the dialog while it answers, and the call stays', async () => {
    const c = await call(p);
    const pings: string[] = [];
    for (let i = 0; i < 3; i++) pings.push(await answerNext(c.callee, 200, 2000));
    for (const o of pings) {
      expect(methodOf(o)).toBe('OPTIONS');
      expect(o.split('\r\n')[0]).toBe(`OPTIONS ${c.callee.contact} SIP/2.0`);
      expect(tagOf(headerOf(o, 'From'))).toBe(c.caller.localTag);
      expect(tagOf(headerOf(o, 'To'))).toBe(c.callee.localTag);
    }
    // Each ping has its own, growing CSeq above the caller's.
    expect(pings.map(cseqOf)).toEqual([2, 3, 4]);
    expect(await alive(c.caller.callId)).toBe(true);
    await c.caller.sendInDialog('BYE');
    // Answer whatever comes (a late ping, then the BYE).
    for (;;) if (methodOf(await answerNext(c.callee)) === 'BYE') break;
    // P not set: the caller is not pinged, so the first thing it gets after the call is the 200 to its BYE.
    const ok = (await c.caller.nextNon100()).text;
    expect([statusOf(ok), headerOf(ok, 'CSeq')]).toEqual([200, `${c.caller.cseq} BYE`]);
    c.caller.close();
    c.callee.close();
  });

  it('tolerates one lost ping, and ends the call with BYE both sides after two', async () => {
    p.hooks.flags = 'Pp';
    const c = await call(p);
    // The caller answers its pings throughout; the callee misses one, answers the next, then goes silent.
    let callerDone = false;
    const callerLoop = (async () => {
      while (!callerDone) {
        const r = await c.caller.nextNon100(5000).catch(() => null);
        if (r === null) break;
        await c.caller.reply(r.text, 200, 'OK');
        if (methodOf(r.text) === 'BYE') return r.text;
      }
      return null;
    })();
    const first = await c.callee.nextNon100(2000); // lost: no answer (tm retransmits it until fr_timer)
    expect(methodOf(first.text)).toBe('OPTIONS');
    let answered = false;
    for (;;) {
      const r = await c.callee.nextNon100(3000);
      if (cseqOf(r.text) === cseqOf(first.text)) continue; // retransmission of the lost ping
      await c.callee.reply(r.text, 200, 'OK');
      answered = true;
      break;
    }
    expect(answered).toBe(true);
    expect(await alive(c.caller.callId)).toBe(true);
    // Now silent: two unanswered pings later, BYE to both sides.
    let bye: string | null = null;
    const t0 = Date.now();
    while (bye === null && Date.now() - t0 < 5000) {
      const r = await c.callee.nextNon100(3000);
      if (methodOf(r.text) === 'BYE') {
        bye = r.text;
        await c.callee.reply(r.text, 200, 'OK');
      }
    }
    expect(bye).not.toBeNull();
    expect(headerOf(bye!, 'Reason')).toContain('Ping Timeout');
    expect(methodOf((await callerLoop) ?? '')).toBe('BYE');
    callerDone = true;
    expect(await alive(c.caller.callId)).toBe(false);
    expect(p.cbs.find((x) => x.callid === c.caller.callId && x.type === 'DLGCB_TERMINATED')?.dlgData).toBe('Ping Timeout');
    c.caller.close();
    c.callee.close();
  });

  it('ends the call at once when the peer answers 481', async () => {
    const c = await call(p);
    expect(methodOf(await answerNext(c.callee, 481, 2000))).toBe('OPTIONS');
    expect(methodOf(await answerNext(c.callee, 200, 2000))).toBe('BYE');
    expect(methodOf(await answerNext(c.caller, 200, 2000))).toBe('BYE');
    expect(await alive(c.caller.callId)).toBe(false);
    c.caller.close();
    c.callee.close();
  });

  it("renumbers the caller's later requests past the pings the callee got (ACK keeps its INVITE's number); the caller's replies carry its own CSeq", async () => {
    const c = await call(p);
    const pings: number[] = [];
    for (let n = 0; n < 2; n++) {
      const o = await answerNext(c.callee, 200, 2000);
      expect(methodOf(o)).toBe('OPTIONS');
      pings.push(cseqOf(o));
    }
    expect(pings).toEqual([2, 3]);
    // The caller's re-INVITE has CSeq 2, which the callee already saw in a ping: it must get a higher one.
    const callerInv = await c.caller.sendInDialog('INVITE');
    expect(cseqOf(callerInv)).toBe(2);
    const inv = await nextNotPing(c.callee, pings);
    expect(methodOf(inv)).toBe('INVITE');
    const invSeq = cseqOf(inv);
    expect(invSeq).toBe(Math.max(...pings) + 1);
    // Upstream, the caller sees its own numbering again (tm setReplyOps): provisional and 2xx alike.
    await c.callee.reply(inv, 183, 'Session Progress');
    const progress = (await c.caller.nextNon100()).text;
    expect([statusOf(progress), headerOf(progress, 'CSeq')]).toEqual([183, '2 INVITE']);
    const okReply = replyTo(inv, 200, 'OK', { toTag: c.callee.localTag, contact: c.callee.contact });
    await c.callee.send(okReply);
    const ok = (await c.caller.nextNon100()).text;
    expect([statusOf(ok), headerOf(ok, 'CSeq')]).toEqual([200, '2 INVITE']);
    // The callee retransmits its 2xx (the ACK is late): still the caller's number.
    await c.callee.send(okReply);
    const okAgain = (await c.caller.nextNon100()).text;
    expect([statusOf(okAgain), headerOf(okAgain, 'CSeq')]).toEqual([200, '2 INVITE']);
    // A ping between the 2xx and its ACK: the ACK still carries the INVITE's number.
    const ping = await answerNext(c.callee, 200, 2000);
    expect(methodOf(ping)).toBe('OPTIONS');
    pings.push(cseqOf(ping));
    await c.caller.sendInDialog('ACK');
    const ack = await nextNotPing(c.callee, pings);
    expect(methodOf(ack)).toBe('ACK');
    expect(cseqOf(ack)).toBe(invSeq);
    const callerBye = await c.caller.sendInDialog('BYE');
    const bye = await nextNotPing(c.callee, pings);
    expect(methodOf(bye)).toBe('BYE');
    expect(cseqOf(bye)).toBeGreaterThan(Math.max(...pings, invSeq));
    await c.callee.reply(bye, 200, 'OK');
    const byeOk = (await c.caller.nextNon100()).text;
    expect([statusOf(byeOk), headerOf(byeOk, 'CSeq')]).toEqual([200, `${cseqOf(callerBye)} BYE`]);
    c.caller.close();
    c.callee.close();
  });

  it("a BYE we send after pings takes the next number of the leg, not a ping's", async () => {
    const c = await call(p);
    const pings: number[] = [];
    expect(methodOf(await answerNext(c.callee, 200, 2000))).toBe('OPTIONS');
    expect(methodOf(await answerNext(c.callee, 200, 2000))).toBe('OPTIONS');
    const [e, i] = [...((await p.mi('dlg_list', { callid: c.caller.callId })) as { Dialogs: { h_entry: number; h_id: number }[] }).Dialogs].map((d) => [
      d.h_entry,
      d.h_id,
    ])[0]!;
    expect(p.api.terminateDlg(e!, i!, 'x')).toBe(0);
    const bye = await nextNotPing(c.callee, pings);
    expect(methodOf(bye)).toBe('BYE');
    expect(cseqOf(bye)).toBe(4);
    await c.callee.reply(bye, 200, 'OK');
    expect(methodOf(await answerNext(c.caller))).toBe('BYE');
    c.caller.close();
    c.callee.close();
  });

  it("restores the caller's CSeq on replies when the script created the transaction before matching the dialog", async () => {
    p.hooks = { flags: 'p', recordRoute: true, beforeMatch: (ctx) => void ctx.t_newtran() };
    const c = await call(p);
    expect(methodOf(await answerNext(c.callee, 200, 2000))).toBe('OPTIONS');
    const callerInfo = await c.caller.sendInDialog('INFO');
    const info = await nextNotPing(c.callee, []);
    expect(methodOf(info)).toBe('INFO');
    expect(cseqOf(info)).toBeGreaterThan(cseqOf(callerInfo));
    await c.callee.reply(info, 200, 'OK');
    const ok = (await c.caller.nextNon100()).text;
    expect([statusOf(ok), headerOf(ok, 'CSeq')]).toEqual([200, `${cseqOf(callerInfo)} INFO`]);
    expect(p.cbTypes(c.caller.callId)).toContain('DLGCB_RESPONSE_WITHIN');
    await c.caller.sendInDialog('BYE');
    await c.callee.reply(await nextNotPing(c.callee, []), 200, 'OK');
    c.caller.close();
    c.callee.close();
  });
});
