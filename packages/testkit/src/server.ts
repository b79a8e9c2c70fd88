import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { sleep, terminate } from './process.js';

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

/**
 * down/up/restart/kill/stop for a server process: `current()` is the running child (if any), `up()` starts
 * it again on the same port and data, `graceMs` is how long a SIGTERM may take.
 */
export function lifecycle(
  current: () => ChildProcess | undefined,
  up: () => Promise<void>,
  dir: string,
  graceMs: number,
): Pick<ServerHandle, 'down' | 'up' | 'restart' | 'kill' | 'stop'> {
  const down = async (): Promise<void> => {
    const child = current();
    if (child) await terminate(child, 'SIGTERM', graceMs);
  };
  return {
    down,
    up,
    async restart(downMs = 0) {
      await down();
      if (downMs > 0) await sleep(downMs);
      await up();
    },
    async kill() {
      const child = current();
      if (child) await terminate(child, 'SIGKILL', 5_000);
    },
    async stop() {
      await down();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
