/** MI (management interface) commands, served as JSON-RPC 2.0 like OpenSIPS mi_http. */

/** Params as received: named (object) or positional (array), as JSON-RPC allows. */
export type MiParams = Readonly<Record<string, unknown>>;

export interface MiCommand {
  module: string;
  name: string;
  help: string;
  /** Declared params; optional ones end with `?`. Positional params map onto these in order. */
  params: readonly string[];
  /** The reply's result, or a Promise of it (awaited). */
  handler(params: MiParams): unknown;
}

/** JSON-RPC error codes used by MI (the -326xx are JSON-RPC's own). */
export const MiErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A command-level failure (OpenSIPS returns a code and reason, e.g. 404 "Dialog not found"). */
  Failure: -32000,
} as const;

/** Thrown by MI handlers to answer with a JSON-RPC error (code and message), like OpenSIPS init_mi_error(). */
export class MiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'MiError';
  }
}

export interface MiRegistry {
  register(cmd: MiCommand): void;
  get(name: string): MiCommand | undefined;
  list(): MiCommand[];
  /** Runs a command with params checked against its declaration; throws MiError. */
  call(name: string, params: MiParams | readonly unknown[] | undefined): Promise<unknown>;
}
