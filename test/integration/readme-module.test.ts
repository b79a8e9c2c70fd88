/** The README's "Writing a module" example: params, stats, typed API bound by another module, script function, MI. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SipServer, defineModule, parseMessage } from '@core/sip';
import { UdpPeer } from '@tsips/testkit';
import hello from '../../apps/server/examples/hello-module.js';

const greetings: string[] = [];
const consumer = defineModule({
  name: 'hello_consumer',
  version: '1.0.0',
  deps: [{ module: 'hello' }],
  init(ctx) {
    greetings.push(ctx.api('hello').greet('module')); // load_hello_api(), typed
    return null;
  },
});

let server: SipServer;
beforeAll(async () => {
  server = new SipServer({
    listen: ['udp:127.0.0.1:0'],
    mi: false,
    log: { level: 'silent' },
    modules: [consumer, hello],
    modparams: { hello: { greeting: 'hi' } },
    routes: { request: (ctx) => void ctx.hello('there') },
  });
  await server.start();
});
afterAll(() => server.stop());

it('binds the typed API, runs the script function, counts, and answers MI', async () => {
  expect(greetings).toEqual(['hi module']);
  const sock = await UdpPeer.open();
  const me = sock.port;
  const req = [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKreadme`,
    'Max-Forwards: 70',
    'From: <sip:a@127.0.0.1>;tag=1',
    'To: <sip:b@127.0.0.1>',
    'Call-ID: readme@test',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  await sock.send(req, server.sockets[0]!.port);
  const m = parseMessage((await sock.next()).data);
  sock.close();
  expect([m.status, m.reason]).toEqual([200, 'hi there']);
  expect(await server.mi.call('hello_count', {})).toEqual({ greeted: 1 });
});
