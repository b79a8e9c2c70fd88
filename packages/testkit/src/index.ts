// Test harness: real servers on loopback for the storage drivers' tests, and small helpers.
export { freePort } from './ports.js';
export { RFC4475_DIR } from './corpus.js';
export { which, sippAvailable } from './which.js';
export { sleep, waitFor } from './process.js';
export type { ServerHandle } from './server.js';
export { startMariaDb, type MariaDbServer } from './mariadb.js';
export { startRedis, type RedisServer, type RedisStartOptions } from './redis.js';
export { captureLog, type LogEntry } from './log.js';
export { UdpPeer, request, headerOf, headersOf, statusOf, replyTo, methodOf, nextMatching, finalOf, type Received } from './udp-peer.js';
export { startKamailio, type KamailioServer, type KamailioOptions } from './kamailio.js';
