// Test harness: real servers on loopback for the storage drivers' tests, and small helpers.
export { freePort, udpPortBound } from './ports.js';
export { RFC4475_DIR } from './corpus.js';
export { which, sippAvailable, requireBinary } from './which.js';
export { MissingBinaryError } from './errors.js';
export { sleep, waitFor, spawnServer, spawnError, exited } from './process.js';
export { startSipp, successfulCalls, type SippOptions, type SippResult, type SippRun } from './sipp.js';
export type { ServerHandle } from './server.js';
export { startMariaDb, type MariaDbServer } from './mariadb.js';
export { startRedis, killRedisClient, type RedisServer, type RedisStartOptions } from './redis.js';
export { spawnTsLines, type LineProcess } from './line-process.js';
export { captureLog, type CapturedLog, type LogEntry, type LogLine } from './log.js';
export { UdpPeer, request, headerOf, headersOf, statusOf, replyTo, methodOf, nextMatching, finalOf, type Received } from './udp-peer.js';
export { Prng, seedFromEnv } from './prng.js';
export {
  mutationAt,
  applyOperator,
  seedMessage,
  garbage,
  isAddressByte,
  SEED_KINDS,
  OPERATORS,
  UDP_MAX,
  TCP_MAX,
  type Mutation,
  type Operator,
  type SeedKind,
  type SeedTargets,
  type Transport,
} from './sip-mutator.js';
export { runAttack, readCorpus, AttackFailure, type AttackOptions, type AttackStats } from './sip-attack.js';
export { CrashWatch, isCrashLine } from './crash-watch.js';
export { startKamailio, type KamailioServer, type KamailioOptions } from './kamailio.js';
export { startKamailioRegistrar, kamailioPassword, type KamailioRegistrar, type KamailioRegistrarOptions } from './kamailio-registrar.js';
export { startPresenceServer, PresenceWatcher, type PresenceServerOptions } from './kamailio-presence.js';
