/**
 * The logging a driver needs: pino's `Logger` fits (`log.warn({ err }, 'msg')`). Drivers are built before
 * modules get their context, so the module passes one in when it has it; otherwise lines go to stderr.
 */
export interface DriverLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Fallback: one JSON line per event on stderr, the shape pino would write. */
export function stderrLog(name: string): DriverLog {
  const line = (level: number, obj: object, msg: string): void => {
    const fields: Record<string, unknown> = { level, time: Date.now(), module: name, msg };
    for (const [k, v] of Object.entries(obj)) fields[k] = v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v;
    process.stderr.write(`${JSON.stringify(fields)}\n`);
  };
  return {
    info: (obj, msg) => line(30, obj, msg),
    warn: (obj, msg) => line(40, obj, msg),
    error: (obj, msg) => line(50, obj, msg),
  };
}
