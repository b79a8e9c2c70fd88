import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@tsips/testkit';
import { MiError, miCall, parseMiArgs, startMiHttp } from '../../src/mi/index.js';
import type { MiHttpServer } from '../../src/mi/index.js';
import { coreSetup } from './setup.js';

describe('miCall against the real MI HTTP server', () => {
  let srv: MiHttpServer;
  let url: string;
  beforeAll(async () => {
    const setup = coreSetup();
    srv = await startMiHttp({ port: 0, mi: setup.mi, log: setup.root, token: 'tok' });
    url = `http://127.0.0.1:${srv.port}/mi`;
  });
  afterAll(() => srv.close());

  it('returns the result for named, positional and no params', async () => {
    expect(await miCall(url, 'get_statistics', { statistics: ['core:rcv_requests'] }, { token: 'tok' })).toEqual({ 'core:rcv_requests': 3 });
    expect(await miCall(url, 'get_statistics', ['core:rcv_replies'], { token: 'tok' })).toEqual({ 'core:rcv_replies': 2 });
    expect(await miCall(url, 'log_level', undefined, { token: 'tok' })).toEqual({ Level: 'info' });
  });

  it('throws MiError with the server code and message', async () => {
    const err = await miCall(url, 'nope', {}, { token: 'tok' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MiError);
    expect(err).toMatchObject({ code: -32601, message: 'Method not found: nope' });
    await expect(miCall(url, 'get_statistics', {}, { token: 'tok' })).rejects.toMatchObject({ code: -32602, message: 'Invalid params: missing "statistics"' });
  });

  it('fails clearly without the token, on a dead port, and on a 404', async () => {
    await expect(miCall(url, 'which')).rejects.toThrow(/unauthorized/);
    const dead = await freePort(); // nothing listens there now: the connect is refused
    await expect(miCall(`http://127.0.0.1:${dead}/mi`, 'which')).rejects.toThrow(`MI http://127.0.0.1:${dead}/mi: connect ECONNREFUSED 127.0.0.1:${dead}`);
    await expect(miCall(url.replace('/mi', '/nope'), 'which', undefined, { token: 'tok' })).rejects.toThrow(/HTTP 404/);
  });

  it('gives up on a server that accepts the request and never answers, after timeoutMs', async () => {
    const held: Socket[] = [];
    const mute = createServer((sock) => void held.push(sock)); // reads the request, never writes a byte
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as AddressInfo).port;
    try {
      const t0 = performance.now();
      await expect(miCall(`http://127.0.0.1:${port}/mi`, 'which', undefined, { timeoutMs: 300 })).rejects.toThrow(
        `MI http://127.0.0.1:${port}/mi: no answer within 300 ms`,
      );
      expect(held).toHaveLength(1); // the connection was accepted: this was the timeout, not a refusal
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290); // not before the timeout (a lower bound is load-proof)
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });
});

describe('parseMiArgs', () => {
  it('turns name=value pairs into an object', () => {
    expect(parseMiArgs(['statistics=core:', 'n=42', 'f=-1.5', 'list=a,b', 'empty='])).toEqual({
      statistics: 'core:',
      n: 42,
      f: -1.5,
      list: 'a,b',
      empty: '',
    });
  });

  it('parses JSON values that start with [ or {', () => {
    expect(parseMiArgs(['statistics=["core:","tm:"]', 'opts={"a":1}'])).toEqual({ statistics: ['core:', 'tm:'], opts: { a: 1 } });
    expect(() => parseMiArgs(['statistics=[core:'])).toThrow(/invalid JSON in MI argument "\[core:"/);
  });

  it('turns bare values into a positional array, keeping URIs with = as values', () => {
    expect(parseMiArgs(['sip:alice@example.com;transport=tcp', '3600', 'a,b'])).toEqual(['sip:alice@example.com;transport=tcp', 3600, 'a,b']);
    expect(parseMiArgs([])).toEqual([]);
  });

  it('keeps numbers that would lose information as strings', () => {
    expect(parseMiArgs(['007', '1e3', '9007199254740993', '12.50', '-0', '12.5', '-3', '0'])).toEqual(['007', '1e3', '9007199254740993', '12.50', '-0', 12.5, -3, 0]);
  });

  it('splits a value on the first = only', () => {
    expect(parseMiArgs(['hdr=X-A: b=c'])).toEqual({ hdr: 'X-A: b=c' });
  });

  it('rejects mixing named and positional, and repeated names', () => {
    expect(() => parseMiArgs(['a=1', 'b'])).toThrowErrorMatchingInlineSnapshot(`[Error: MI params must be either all name=value or all positional, not a mix]`);
    expect(() => parseMiArgs(['a=1', 'a=2'])).toThrow('MI param "a" given twice');
  });
});
