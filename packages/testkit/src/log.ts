import { pino, type Level, type LevelWithSilent, type Logger } from 'pino';

/** One JSON line a pino logger wrote, parsed (`level` is pino's number: 20 debug, 30 info, 40 warn, 50 error). */
export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** The same line by level name, its own fields apart (what the storage drivers' tests read). */
export interface LogEntry {
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
}

export interface CapturedLog {
  /** A pino logger at the level asked for, writing to `destination`. */
  log: Logger;
  /** A pino destination keeping every line: hand it to createLogger() or SipServer's `log.destination`. */
  destination: { write(chunk: string): void };
  lines: LogLine[];
  entries: LogEntry[];
}

const LEVEL_NAMES: Readonly<Record<number, Level>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Keeps what a logger writes, for tests that check what was logged. */
export function captureLog(level: LevelWithSilent = 'debug'): CapturedLog {
  const lines: LogLine[] = [];
  const entries: LogEntry[] = [];
  const destination = {
    write(chunk: string): void {
      for (const text of chunk.split('\n')) {
        if (text === '') continue;
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        const { level: n, msg, ...rest } = line;
        const fields: Record<string, unknown> = { ...rest };
        for (const k of ['time', 'pid', 'hostname']) delete fields[k]; // pino's own, the same on every line
        entries.push({ level: LEVEL_NAMES[n] ?? 'info', msg, fields });
      }
    },
  };
  return { log: pino({ level }, destination), destination, lines, entries };
}
