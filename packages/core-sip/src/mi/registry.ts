/**
 * The MI command registry: commands declared by the core and by modules, called by name with
 * params checked against their declaration, whatever transport (HTTP, CLI) carries them.
 */
import type { Logger } from 'pino';
import { MiError, MiErrorCode } from './types.js';
import type { MiCommand, MiParams, MiRegistry } from './types.js';

/** A declared param split into its name and whether it may be left out (`from_tag?`). */
interface ParamDecl {
  readonly name: string;
  readonly optional: boolean;
}

interface Entry {
  readonly cmd: MiCommand;
  readonly decls: readonly ParamDecl[];
  readonly names: ReadonlySet<string>;
}

export class MiRegistryError extends Error {
  constructor(
    readonly code: 'E_MI_DUPLICATE' | 'E_MI_DECLARATION',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MiRegistryError';
  }
}

function parseDecls(cmd: MiCommand): ParamDecl[] {
  const decls = cmd.params.map((p) => (p.endsWith('?') ? { name: p.slice(0, -1), optional: true } : { name: p, optional: false }));
  const seen = new Set<string>();
  for (const d of decls) {
    if (d.name === '' || seen.has(d.name)) {
      throw new MiRegistryError('E_MI_DECLARATION', `MI command "${cmd.name}" declares param "${d.name}" twice or empty`);
    }
    seen.add(d.name);
  }
  return decls;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class MiRegistryImpl implements MiRegistry {
  private readonly commands = new Map<string, Entry>();

  /** `log` receives unexpected handler failures (answered as InternalError). */
  constructor(private readonly log?: Logger) {}

  register(cmd: MiCommand): void {
    const prev = this.commands.get(cmd.name);
    if (prev) {
      throw new MiRegistryError('E_MI_DUPLICATE', `MI command "${cmd.name}" of module "${cmd.module}" is already registered by "${prev.cmd.module}"`);
    }
    const decls = parseDecls(cmd);
    this.commands.set(cmd.name, { cmd, decls, names: new Set(decls.map((d) => d.name)) });
  }

  get(name: string): MiCommand | undefined {
    return this.commands.get(name)?.cmd;
  }

  list(): MiCommand[] {
    return [...this.commands.values()].map((e) => e.cmd);
  }

  async call(name: string, params: MiParams | readonly unknown[] | undefined): Promise<unknown> {
    const e = this.commands.get(name);
    if (!e) throw new MiError(MiErrorCode.MethodNotFound, `Method not found: ${name}`);
    const named = this.bind(e, params);
    let result: unknown;
    try {
      result = await e.cmd.handler(named);
    } catch (err) {
      if (err instanceof MiError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      this.log?.error({ err, mi: name }, 'MI command failed');
      throw new MiError(MiErrorCode.InternalError, `Internal error: ${message}`);
    }
    // OpenSIPS answers "OK" for commands that have nothing to say; JSON-RPC needs some result.
    return result === undefined ? 'OK' : result;
  }

  /** Maps positional params onto the declared names and checks named ones. */
  private bind(e: Entry, params: MiParams | readonly unknown[] | undefined): MiParams {
    if (params === undefined || params === null) return this.checkRequired(e, {});
    if (Array.isArray(params)) {
      if (params.length > e.decls.length) {
        throw new MiError(MiErrorCode.InvalidParams, `Invalid params: ${e.cmd.name} takes at most ${e.decls.length} param(s), got ${params.length}`);
      }
      const out: Record<string, unknown> = {};
      for (let i = 0; i < params.length; i++) {
        const d = e.decls[i];
        if (d && params[i] !== undefined) out[d.name] = params[i];
      }
      return this.checkRequired(e, out);
    }
    if (!isPlainObject(params)) throw new MiError(MiErrorCode.InvalidParams, 'Invalid params: expected an object or an array');
    for (const k of Object.keys(params)) {
      if (!e.names.has(k)) throw new MiError(MiErrorCode.InvalidParams, `Invalid params: unknown "${k}"`);
    }
    return this.checkRequired(e, params);
  }

  private checkRequired(e: Entry, named: Record<string, unknown>): MiParams {
    for (const d of e.decls) {
      if (!d.optional && named[d.name] === undefined) {
        throw new MiError(MiErrorCode.InvalidParams, `Invalid params: missing "${d.name}"`);
      }
    }
    return named;
  }
}
