import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MiErrorCode, startMiHttp } from '../../src/mi/index.js';
import type { MiHttpOptions, MiHttpServer } from '../../src/mi/index.js';
import { createPrometheus } from '../../src/stats/index.js';
import { coreSetup } from './setup.js';

const servers: MiHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<MiHttpOptions> = {}): Promise<{ base: string; setup: ReturnType<typeof coreSetup> }> {
  const setup = coreSetup();
  const prom = createPrometheus(setup.stats, { defaultMetrics: false });
  const srv = await startMiHttp({ port: 0, mi: setup.mi, log: setup.root, metrics: prom.scrape, ...extra });
  servers.push(srv);
  return { base: `http://127.0.0.1:${srv.port}`, setup };
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const rpc = (method: string, params?: unknown, id: unknown = 1): string =>
  JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id });

describe('MI over HTTP (JSON-RPC 2.0)', () => {
  it('answers a call with the result and the request id', async () => {
    const { base } = await start();
    const r = await post(`${base}/mi`, rpc('get_statistics', { statistics: ['core:rcv_requests'] }, 'a1'));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ jsonrpc: '2.0', result: { 'core:rcv_requests': 3 }, id: 'a1' });
  });

  it('runs each core command over HTTP', async () => {
    const { base } = await start();
    const call = async (method: string, params?: unknown): Promise<unknown> => {
      const r = await post(`${base}/mi`, rpc(method, params));
      const body = r.json as { result?: unknown; error?: unknown };
      expect(body.error).toBeUndefined();
      return body.result;
    };
    expect(await call('version')).toEqual({ Server: expect.stringMatching(/^tsips \(0\.1\.0 /) as unknown });
    expect(await call('uptime')).toMatchObject({ 'Up time': expect.stringMatching(/^\d+ \[sec\]$/) as unknown });
    expect(await call('which')).toContain('get_statistics');
    expect(await call('help', ['uptime'])).toMatchObject({ 'Exported by': 'core' });
    expect(await call('list_statistics', { statistics: 'core:rcv_replies' })).toEqual({ 'core:rcv_replies': 'incremental' });
    expect(await call('reset_statistics', ['core:'])).toBe('OK');
    expect(await call('get_statistics', ['core:rcv_requests'])).toEqual({ 'core:rcv_requests': 0 });
    expect(await call('log_level', { level: 'debug' })).toEqual({ Level: 'debug' });
    expect(await call('log_level')).toEqual({ Level: 'debug' });
    expect(await call('list_modules')).toEqual({ Modules: [{ Name: 'tm', Version: '0.1.0' }] });
  });

  it('answers JSON-RPC errors: unknown method, bad params, parse error, invalid request', async () => {
    const { base } = await start();
    expect((await post(`${base}/mi`, rpc('nope', {}, 7))).json).toEqual({
      jsonrpc: '2.0',
      error: { code: MiErrorCode.MethodNotFound, message: 'Method not found: nope' },
      id: 7,
    });
    expect((await post(`${base}/mi`, rpc('get_statistics', { stats: 'x' }, 8))).json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32602, message: 'Invalid params: unknown "stats"' },
      id: 8,
    });
    const parse = await post(`${base}/mi`, '{"jsonrpc":"2.0","method":');
    expect(parse.status).toBe(200);
    expect(parse.json).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
    expect((await post(`${base}/mi`, JSON.stringify({ jsonrpc: '1.0', method: 'which', id: 3 }))).json).toMatchObject({
      error: { code: -32600 },
      id: 3,
    });
    expect((await post(`${base}/mi`, JSON.stringify({ jsonrpc: '2.0', method: 5, id: 4 }))).json).toMatchObject({ error: { code: -32600 }, id: 4 });
    expect((await post(`${base}/mi`, JSON.stringify({ jsonrpc: '2.0', method: 'which', params: 'x', id: 5 }))).json).toMatchObject({
      error: { code: -32600 },
      id: 5,
    });
    expect((await post(`${base}/mi`, '42')).json).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null });
    expect((await post(`${base}/mi`, '[]')).json).toMatchObject({ error: { code: -32600 }, id: null });
  });

  it('handles batches in order, leaving out notifications', async () => {
    const { base } = await start();
    const batch = [
      { jsonrpc: '2.0', method: 'get_statistics', params: ['core:rcv_requests'], id: 1 },
      { jsonrpc: '2.0', method: 'reset_statistics', params: ['core:rcv_requests'] }, // notification
      { jsonrpc: '2.0', method: 'get_statistics', params: ['core:rcv_requests'], id: 2 },
      { jsonrpc: '2.0', method: 'nope', id: 3 },
      'garbage',
    ];
    const r = await post(`${base}/mi`, JSON.stringify(batch));
    expect(r.json).toEqual([
      { jsonrpc: '2.0', result: { 'core:rcv_requests': 3 }, id: 1 },
      { jsonrpc: '2.0', result: { 'core:rcv_requests': 0 }, id: 2 },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found: nope' }, id: 3 },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
    ]);
  });

  it('runs a notification and answers 204 without a body', async () => {
    const { base, setup } = await start();
    const r = await post(`${base}/mi`, JSON.stringify({ jsonrpc: '2.0', method: 'reset_statistics', params: ['all'] }));
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(setup.stats.query(['core:rcv_requests'])[0]?.value).toBe(0);
    const batchOfNotifications = await post(`${base}/mi`, JSON.stringify([{ jsonrpc: '2.0', method: 'which' }]));
    expect(batchOfNotifications.status).toBe(204);
  });

  it('serves Prometheus metrics on GET /metrics', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE tsips_core_rcv_requests_total counter\ntsips_core_rcv_requests_total 3\n');
    expect(text).toContain('# TYPE tsips_dialog_active_dialogs gauge\ntsips_dialog_active_dialogs 4\n');
  });

  it('answers 404 for other paths, 405 for wrong methods, 413 for large bodies', async () => {
    const { base } = await start({ bodyLimit: 1000 });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const getMi = await fetch(`${base}/mi`);
    expect(getMi.status).toBe(405);
    expect(getMi.headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: '' })).status).toBe(405);
    const big = rpc('which', { pad: 'x'.repeat(2000) });
    expect((await post(`${base}/mi`, big)).status).toBe(413);
    // without Content-Length (chunked): the limit is enforced while reading
    const chunked = await fetch(`${base}/mi`, {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big));
          c.close();
        },
      }),
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    // the server still works afterwards
    expect((await post(`${base}/mi`, rpc('which'))).status).toBe(200);
  });

  it('requires the bearer token when one is configured', async () => {
    const { base } = await start({ token: 's3cret' });
    const none = await post(`${base}/mi`, rpc('which'));
    expect(none.status).toBe(401);
    expect((await post(`${base}/mi`, rpc('which'), { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ok = await post(`${base}/mi`, rpc('which'), { Authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    expect((ok.json as { result: string[] }).result).toContain('uptime');
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'bearer s3cret' } })).status).toBe(200);
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const setup = coreSetup();
    await expect(startMiHttp({ host: '0.0.0.0', port: 0, mi: setup.mi, log: setup.root })).rejects.toThrowErrorMatchingInlineSnapshot(
      `[MiHttpError: E_MI_HTTP_INSECURE: refusing to serve MI on 0.0.0.0 without a token: set a token or bind a loopback address (127.0.0.1)]`,
    );
    await expect(startMiHttp({ host: '::', port: 0, mi: setup.mi, log: setup.root })).rejects.toThrow(/E_MI_HTTP_INSECURE/);
  });

  it('a half-sent request neither blocks other clients nor stays open past the timeout', async () => {
    const { base } = await start({ requestTimeoutMs: 400 });
    const port = Number(new URL(base).port);
    const opened = Date.now();
    const slow: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    const slowClosed = new Promise<{ at: number; data: string }>((resolve) => {
      let data = '';
      slow.on('data', (d: Buffer) => (data += d.toString()));
      slow.on('close', () => resolve({ at: Date.now(), data }));
    });
    // headers complete, body promised but never finished
    slow.write('POST /mi HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc":');

    const half: Socket = connect(port, '127.0.0.1');
    const halfClosed = new Promise<number>((resolve) => half.on('close', () => resolve(Date.now())));
    half.on('error', () => {});
    half.resume(); // read what the server sends, or 'close' never comes
    half.write('POST /mi HTTP/1.1\r\nHost: x\r\n'); // headers never finished

    const r = await post(`${base}/mi`, rpc('get_statistics', ['core:rcv_requests']));
    expect(r.json).toEqual({ jsonrpc: '2.0', result: { 'core:rcv_requests': 3 }, id: 1 });
    expect(slow.destroyed).toBe(false); // still open while the other client was served

    const s = await slowClosed;
    expect(s.at - opened).toBeGreaterThanOrEqual(350);
    expect(s.at - opened).toBeLessThan(5000);
    expect(s.data).toMatch(/^HTTP\/1\.1 408/);
    expect((await halfClosed) - opened).toBeLessThan(5000);
  });
});
