/**
 * The core MI commands, with the names and output shapes of OpenSIPS 3.x so that scripts and
 * dashboards written against `opensips-cli -x mi …` keep working.
 */
import { memoryUsage } from 'node:process';
import type { LogControl } from '../log.js';
import { parseLogLevel } from '../log.js';
import type { StatsRegistry } from '../stats/types.js';
import { MiError, MiErrorCode } from './types.js';
import type { MiParams, MiRegistry } from './types.js';

export interface CoreMiDeps {
  version: string;
  startedAt: Date;
  stats: StatsRegistry;
  log: LogControl;
  /** Loaded modules, for `list_modules`; the command is not registered without it. */
  modules?: () => { name: string; version: string }[];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** C `ctime()` layout (`Thu Jan  4 10:00:00 2024`, local time), which OpenSIPS prints in `uptime`. */
export function ctime(d: Date): string {
  const day = String(d.getDate()).padStart(2, ' ');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
}

/** `statistics` may come as an array (`["core:", "tm:"]`) or one string; a string may list names separated by spaces or commas. */
function statPatterns(params: MiParams, required: boolean): string[] | undefined {
  const v = params['statistics'];
  if (v === undefined || v === null) {
    if (required) throw new MiError(MiErrorCode.InvalidParams, 'Invalid params: missing "statistics"');
    return undefined;
  }
  const items = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new MiError(MiErrorCode.InvalidParams, 'Invalid params: "statistics" must hold strings');
    for (const p of item.split(/[\s,]+/)) if (p !== '') out.push(p);
  }
  if (out.length === 0) throw new MiError(MiErrorCode.InvalidParams, 'Invalid params: "statistics" is empty');
  return out;
}

export function registerCoreMi(mi: MiRegistry, deps: CoreMiDeps): void {
  const core = 'core';
  const { stats } = deps;

  mi.register({
    module: core,
    name: 'version',
    help: 'Prints the server name, version and platform',
    params: [],
    handler: () => ({ Server: `tsips (${deps.version} (${process.arch}/${process.platform}))` }),
  });

  mi.register({
    module: core,
    name: 'uptime',
    help: 'Prints the current time, the start time and the time since start in seconds',
    params: [],
    handler: () => {
      const now = new Date();
      const up = Math.floor((now.getTime() - deps.startedAt.getTime()) / 1000);
      return { Now: ctime(now), 'Up since': ctime(deps.startedAt), 'Up time': `${up} [sec]` };
    },
  });

  mi.register({
    module: core,
    name: 'which',
    help: 'Lists the available MI commands',
    params: [],
    handler: () => mi.list().map((c) => c.name),
  });

  mi.register({
    module: core,
    name: 'help',
    help: 'Prints the help of an MI command and who exports it',
    params: ['mi_cmd'],
    handler: (p) => {
      const name = String(p['mi_cmd']);
      const cmd = mi.get(name);
      if (!cmd) throw new MiError(MiErrorCode.Failure, `Unknown MI command: ${name}`);
      return { Help: cmd.help, 'Exported by': cmd.module, Params: [...cmd.params] };
    },
  });

  mi.register({
    module: core,
    name: 'get_statistics',
    help: 'Prints statistics: `all`, a group (`tm:`), a name, or `group:name`',
    params: ['statistics'],
    handler: (p) => {
      const found = stats.query(statPatterns(p, true) ?? []);
      if (found.length === 0) throw new MiError(MiErrorCode.Failure, 'Statistics Not Found');
      const out: Record<string, number> = {};
      for (const s of found) out[`${s.module}:${s.name}`] = s.value;
      return out;
    },
  });

  mi.register({
    module: core,
    name: 'list_statistics',
    help: 'Lists statistics (all, or those matching `statistics`) and whether each is incremental',
    params: ['statistics?'],
    handler: (p) => {
      const patterns = statPatterns(p, false);
      const found = patterns ? stats.query(patterns) : stats.list();
      const out: Record<string, string> = {};
      for (const s of found) out[`${s.module}:${s.name}`] = s.kind === 'counter' ? 'incremental' : 'non-incremental';
      return out;
    },
  });

  mi.register({
    module: core,
    name: 'reset_statistics',
    help: 'Resets statistics to zero, except those that cannot be reset (gauges of live objects)',
    params: ['statistics'],
    handler: (p) => {
      stats.reset(statPatterns(p, true) ?? []);
      return 'OK';
    },
  });

  mi.register({
    module: core,
    name: 'log_level',
    help: 'Prints the log level, or sets it (pino name or OpenSIPS number -3..4) for the whole server',
    params: ['level?'],
    handler: (p) => {
      const raw = p['level'];
      if (raw === undefined || raw === null) return { Level: deps.log.getLevel() };
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw new MiError(MiErrorCode.InvalidParams, 'Invalid params: "level" must be a string or a number');
      }
      const level = parseLogLevel(raw);
      if (!level) throw new MiError(MiErrorCode.InvalidParams, `Invalid params: unknown log level "${raw}"`);
      deps.log.setLevel(level);
      return { Level: deps.log.getLevel() };
    },
  });

  mi.register({
    module: core,
    name: 'mem_gc',
    help: 'Runs a full garbage collection (node started with --expose-gc) and prints the V8 heap before and after it, bytes',
    params: [],
    handler: () => {
      // Exposed by node only on request: a full collection pauses the server for tens of milliseconds.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (typeof gc !== 'function') throw new MiError(MiErrorCode.Failure, 'mem_gc needs the process started with node --expose-gc');
      const before = memoryUsage();
      gc();
      const after = memoryUsage();
      return {
        before: { heap_used: before.heapUsed, heap_total: before.heapTotal },
        after: { heap_used: after.heapUsed, heap_total: after.heapTotal, rss: after.rss },
      };
    },
  });

  const modules = deps.modules;
  if (modules) {
    mi.register({
      module: core,
      name: 'list_modules',
      help: 'Lists the loaded modules and their versions',
      params: [],
      handler: () => ({ Modules: modules().map((m) => ({ Name: m.name, Version: m.version })) }),
    });
  }
}
