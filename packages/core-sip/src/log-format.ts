/**
 * How log lines look: `json` (one pino JSON object a line, for collectors and tests) or `pretty` (one
 * readable line, `[16:01:36.085] INFO: transport: transport listening {"sockets":[…]}`, for a person at
 * a terminal). `auto`, the default, is pretty when stdout is a TTY and JSON otherwise.
 *
 * Pretty lines are made in-process and written synchronously (pino-pretty's `prettyFactory`, not its
 * transport): no worker thread to start, and no lines lost when the process exits right after logging.
 * pino-pretty is loaded only when pretty output is chosen, so a JSON server never pays for it.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Reads a format as written in a config, `TSIPS_LOG_FORMAT` or `--log-format` (any case); undefined when unknown. */
export function parseLogFormat(input: string): LogFormat | undefined {
  const s = input.trim().toLowerCase();
  return (LOG_FORMATS as readonly string[]).includes(s) ? (s as LogFormat) : undefined;
}

/** `auto` decided: pretty only for a TTY on stdout (where lines go when no destination is given). */
export function resolveLogFormat(format: LogFormat, toStdout: boolean): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return toStdout && process.stdout.isTTY === true ? 'pretty' : 'json';
}

const require = createRequire(import.meta.url);

/**
 * A pino destination that turns each JSON line into a readable one and writes it to `out` (stdout,
 * synchronously, when none is given). Colours follow the terminal (and NO_COLOR / FORCE_COLOR) for
 * stdout, and are off for any other destination.
 */
export function prettyDestination(out?: DestinationStream): DestinationStream {
  const { prettyFactory, isColorSupported } = require('pino-pretty') as typeof PinoPretty;
  const prettify = prettyFactory({
    colorize: out === undefined && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,module',
    messageFormat: '{if module}{module}: {end}{msg}',
    singleLine: true,
  });
  const dest = out ?? pino.destination({ dest: 1, sync: true });
  return { write: (line: string) => void dest.write(prettify(line)) };
}
