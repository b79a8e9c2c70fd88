/** What the harness hands back for a real server it started on loopback. */
export interface ServerHandle {
  /** URL as the OpenSIPS modparam would be written (`db_url`, `cachedb_url`). */
  readonly url: string;
  readonly port: number;
  /** Temporary directory holding data, socket and logs; removed by `stop()`. */
  readonly dir: string;
  /** Graceful shutdown (SIGTERM), data kept: an outage until `up()`. */
  down(): Promise<void>;
  /** Starts the server again on the same port with the same data. */
  up(): Promise<void>;
  /** `down()`, an outage of `downMs`, then `up()`. */
  restart(downMs?: number): Promise<void>;
  /** Crash (SIGKILL), data kept: `up()` brings it back. */
  kill(): Promise<void>;
  /** Final: shuts the server down and removes its directory. */
  stop(): Promise<void>;
}
