/** Server logging: JSON lines to the configured destination, per-module loggers, level changed by MI at run time. */
import { expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { SipServer } from '../../src/index.js';
import { UdpPeer, captureLog, request } from '@tsips/testkit';

it('logs start-up, and MI log_level turns script debug lines on and off while running', async () => {
  const { destination, lines } = captureLog();
  const server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'info', destination },
    routes: {
      request(ctx) {
        ctx.xlog(`debug from ${ctx.$rm}`, 'debug');
        ctx.sl_send_reply(200, 'OK');
      },
    },
  });
  await server.start();
  const uac = await UdpPeer.open();
  try {
    expect(lines.find((l) => l.msg === 'tsips started')).toMatchObject({ sockets: [`udp:127.0.0.1:${server.sockets[0]!.port}`] });
    const port = server.sockets[0]!.port;
    await uac.send(request('OPTIONS', 'sip:127.0.0.1', uac.port), port);
    await uac.next();
    expect(lines.some((l) => l.msg === 'debug from OPTIONS')).toBe(false);
    await server.mi.call('log_level', { level: 'debug' });
    await uac.send(request('INFO', 'sip:127.0.0.1', uac.port), port);
    await uac.next();
    expect(lines.find((l) => l.msg === 'debug from INFO')).toMatchObject({ module: 'script', level: 20 });
  } finally {
    uac.close();
    await server.stop();
  }
});

it('writes each key once on every start-up line (the transport line once carried "module" twice)', async () => {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') raw.push(l);
      cb();
    },
  });
  const server = new SipServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], mi: false, log: { level: 'info', destination }, routes: { request: () => undefined } });
  await server.start();
  await server.stop();
  const transport = raw.filter((l) => l.includes('"msg":"transport listening"'));
  expect(transport).toHaveLength(1);
  expect(transport[0]!.split('"module":').length - 1).toBe(1);
  // JSON.parse keeps one value per key, so a line with a repeated key comes back shorter when re-serialized.
  expect(raw.filter((l) => JSON.stringify(JSON.parse(l)) !== l)).toEqual([]);
});
