/**
 * `tsips` command line:
 *   tsips [--config file.ts] [--listen udp:127.0.0.1:5060 …] [--mi-port 8888] [--log-level info] [--log-format pretty|json]
 *   tsips mi <command> [name=value …] [--url http://127.0.0.1:8888/mi] [--token T]
 */
import { parseArgs } from 'node:util';
import { SipServer, installProcessNet, miCall, parseMiArgs, parseLogFormat, MiError, TsipsError, LOG_FORMATS, VERSION, type ServerConfig } from '@core/sip';
import { defaultConfig } from './default-config.js';
import { dbCreate } from './db-create.js';

const USAGE = `usage:
  tsips [--config <file.ts>] [--listen <proto:host:port>]… [--mi-port <port>] [--log-level <level>]
        [--log-format auto|pretty|json]    (auto, the default: readable lines on a terminal, JSON otherwise)
  tsips mi <command> [name=value …] [--url <http://127.0.0.1:8888/mi>] [--token <token>]
  tsips db create <db_url> [--config <file.ts>]     (tables of the config's modules, default config when none)
  tsips --version`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'mi') return mi(argv.slice(1));
  if (argv[0] === 'db') return db(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'f' },
      listen: { type: 'string', short: 'l', multiple: true },
      'mi-port': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      version: { type: 'boolean', short: 'V' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`tsips ${VERSION}\n`);
    return 0;
  }
  let config: ServerConfig = values.config ? await loadConfig(values.config) : defaultConfig();
  if (values.listen) config = { ...config, listen: values.listen };
  if (values['mi-port'] !== undefined && config.mi !== false) config = { ...config, mi: { ...config.mi, port: Number(values['mi-port']) } };
  const level = values['log-level'] ?? process.env.TSIPS_LOG_LEVEL;
  if (level !== undefined) config = { ...config, log: { ...config.log, level } };
  // Like the level: the flag, then TSIPS_LOG_FORMAT, then the config's log.format, then auto.
  const wantedFormat = values['log-format'] ?? process.env.TSIPS_LOG_FORMAT;
  if (wantedFormat !== undefined) {
    const format = parseLogFormat(wantedFormat);
    if (!format) throw new TsipsError('E_CONFIG', `log format "${wantedFormat}" is not one of ${LOG_FORMATS.join(', ')}`);
    config = { ...config, log: { ...config.log, format } };
  }
  const server = new SipServer(config);
  // From here on a bug costs a logged, counted error, not every call in progress (see process-net.ts).
  installProcessNet(server.faults);
  // Signal handlers go in before start: one installed after "tsips started" leaves a moment in which a
  // SIGTERM kills the process unlogged, and one that arrives during start stops the server once started.
  let received: NodeJS.Signals | undefined;
  let wake = (): void => undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received !== undefined) {
      server.log.warn({ sig }, 'second signal: exiting now');
      process.exit(1);
    }
    received = sig;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await server.start();
  if (received === undefined) await new Promise<void>((resolve) => (wake = resolve));
  server.log.info({ sig: received }, 'shutting down');
  try {
    await server.stop();
  } catch (err) {
    server.log.error({ err }, 'shutdown failed');
  }
  return 0;
}

/** tsx (which compiles a TypeScript config) is loaded only when there is a config to load: the default server starts without it. */
async function loadConfig(file: string): Promise<ServerConfig> {
  const { loadConfig: load } = await import('./load-config.js');
  return load(file);
}

async function mi(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { url: { type: 'string' }, token: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (command === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const url = values.url ?? process.env.TSIPS_MI_URL ?? 'http://127.0.0.1:8888/mi';
  try {
    const params = rest.length > 0 ? parseMiArgs(rest) : undefined;
    const result = await miCall(url, command, params, { token: values.token ?? process.env.TSIPS_MI_TOKEN });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    const msg = err instanceof MiError ? `error ${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`tsips mi ${command}: ${msg}\n`);
    return 1;
  }
}

async function db(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'f' } }, allowPositionals: true, strict: true });
  const [action, url] = positionals;
  if (action !== 'create' || url === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = values.config ? await loadConfig(values.config) : defaultConfig();
  const r = await dbCreate(url, config.modules ?? []);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  return 0;
}
