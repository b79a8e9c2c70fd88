/**
 * The last net of the `tsips` binary: process-wide `unhandledRejection` and `uncaughtException` handlers
 * that log the error, count it in `core:unhandled_errors` and keep the server running.
 *
 * Node's default is to exit on both. For a SIP server that trades every call in progress for one bug, and
 * OpenSIPS operators expect the server to keep serving; so both are survived:
 * - an unhandled rejection left nothing half done that the rejection itself did not already abandon;
 * - an uncaught exception may have interrupted a handler midway (Node warns that the process state is then
 *   unknown). tsips keeps its per-message and per-transaction state in objects a later message or timer
 *   finds and finishes or frees, and every boundary catches its own errors first (Faults.caught), so what
 *   reaches this net is a bug outside those boundaries: it is logged with its stack and counted, and the
 *   operator decides (a restart, a bug report). A count that keeps growing says so on /metrics.
 *
 * The net knows only the error (a rejection nobody handled has lost its caller and its message); the
 * boundaries log the message context. Tests of the server must never rely on this net: vitest fails a run
 * on an unhandled rejection, which is how they catch the bugs the net would hide.
 */
import type { Faults } from './faults.js';

/** Installs the handlers; returns the function that removes them. */
export function installProcessNet(faults: Faults): () => void {
  const onRejection = (reason: unknown): void => faults.unhandled('unhandledRejection', reason);
  const onException = (err: Error): void => faults.unhandled('uncaughtException', err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
