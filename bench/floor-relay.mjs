#!/usr/bin/env node
/**
 * Node's floor for the proxy benchmark: a UDP relay that parses nothing. Datagrams from the UAC go to the
 * UAS and everything else goes back to the UAC, chosen by source port only. What tsips costs per call above
 * this is the price of SIP processing; this is the price of Node's UDP path. Its receive buffer is 4 MiB
 * (--rcvbuf, capped by net.core.rmem_max) so that the floor is not the one dropping datagrams at high rates.
 *
 *   node bench/floor-relay.mjs --port 15100 --uac 15060 --uas 15070 [--rcvbuf 4194304] [--send-callback]
 *   (all on 127.0.0.1)
 */
import dgram from 'node:dgram';
import { arg } from './lib/results.mjs';

const HOST = '127.0.0.1';
const port = Number(arg('port', 15100));
const uac = Number(arg('uac', 15060));
const uas = Number(arg('uas', 15070));
const rcvbuf = Number(arg('rcvbuf', 4 * 1024 * 1024));
// --send-callback: pass a completion callback to every send and wrap it in a Promise, as a server that
// awaits each send does. Node then takes libuv's queued send path and calls back into JS per datagram,
// instead of the synchronous try-send it uses when no callback is given: this flag measures that cost.
const sendCallback = arg('send-callback', false) === true;

const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: rcvbuf });
const sendAwaited = (buf, port) =>
  new Promise((resolve, reject) => {
    sock.send(buf, port, HOST, (err) => (err ? reject(err) : resolve()));
  });
sock.on('message', (buf, rinfo) => {
  const to = rinfo.port === uac ? uas : uac;
  if (sendCallback) sendAwaited(buf, to).catch((err) => process.stderr.write(`floor-relay: ${err.message}\n`));
  else sock.send(buf, to, HOST);
});
sock.on('error', (err) => {
  process.stderr.write(`floor-relay: ${err.message}\n`);
  process.exit(1);
});
// The kernel reports twice the size asked for (its bookkeeping overhead), capped by net.core.rmem_max.
sock.bind(port, HOST, () => process.stderr.write(`floor-relay listening on ${HOST}:${port} (uac ${uac} ⇄ uas ${uas}), SO_RCVBUF ${sock.getRecvBufferSize()} bytes\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
process.on('SIGINT', () => sock.close(() => process.exit(0)));
