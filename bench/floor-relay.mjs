#!/usr/bin/env node
/**
 * Node's floor for the proxy benchmark: a UDP relay that parses nothing. Datagrams from the UAC go to the
 * UAS and everything else goes back to the UAC, chosen by source port only. What tsips costs per call above
 * this is the price of SIP processing; this is the price of Node's UDP path.
 *
 *   node bench/floor-relay.mjs --port 15100 --uac 15060 --uas 15070   (all on 127.0.0.1)
 */
import dgram from 'node:dgram';
import { arg } from './lib/results.mjs';

const HOST = '127.0.0.1';
const port = Number(arg('port', 15100));
const uac = Number(arg('uac', 15060));
const uas = Number(arg('uas', 15070));

const sock = dgram.createSocket('udp4');
sock.on('message', (buf, rinfo) => {
  sock.send(buf, rinfo.port === uac ? uas : uac, HOST);
});
sock.on('error', (err) => {
  process.stderr.write(`floor-relay: ${err.message}\n`);
  process.exit(1);
});
sock.bind(port, HOST, () => process.stderr.write(`floor-relay listening on ${HOST}:${port} (uac ${uac} ⇄ uas ${uas})\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
process.on('SIGINT', () => sock.close(() => process.exit(0)));
