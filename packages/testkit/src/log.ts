/** One line a driver logged. */
export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: object;
}

/** A logger with pino's `(obj, msg)` call shape that keeps every line, for tests that check what was logged. */
export function captureLog(): {
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  entries: LogEntry[];
} {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: object, msg: string) => void entries.push({ level, msg, fields });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, entries };
}
