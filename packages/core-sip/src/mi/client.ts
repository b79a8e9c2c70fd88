/**
 * The MI client used by `tsips mi …`: one JSON-RPC call over HTTP, and the command-line argument
 * parsing that turns `tsips mi get_statistics statistics=core:` into params.
 */
import { MiError } from './types.js';

export interface MiCallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

let nextId = 1;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Calls an MI command at `url` (e.g. `http://127.0.0.1:8888/mi`) and returns its result.
 * Throws MiError with the server's code and message when the command fails, and a plain Error
 * when the HTTP exchange itself does (refused, 401, timeout, not JSON-RPC).
 */
export async function miCall(url: string, method: string, params?: Record<string, unknown> | unknown[], opts: MiCallOptions = {}): Promise<unknown> {
  const id = nextId++;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (opts.token !== undefined) headers['Authorization'] = `Bearer ${opts.token}`;
  const body = JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    throw exchangeFailed(url, timeoutMs, err);
  }
  if (res.status === 401) throw new Error(`MI ${url}: unauthorized (missing or wrong token)`);
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new Error(`MI ${url}: HTTP ${res.status}, not a JSON answer: ${text.slice(0, 200)}`);
  }
  if (!isRecord(answer)) throw new Error(`MI ${url}: HTTP ${res.status}, unexpected answer: ${text.slice(0, 200)}`);
  const err = answer['error'];
  if (isRecord(err)) {
    const code = typeof err['code'] === 'number' ? err['code'] : 0;
    throw new MiError(code, typeof err['message'] === 'string' ? err['message'] : 'MI error');
  }
  if (!res.ok) throw new Error(`MI ${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (!('result' in answer)) throw new Error(`MI ${url}: answer has neither result nor error: ${text.slice(0, 200)}`);
  return answer['result'];
}

/** fetch says only "fetch failed" or "aborted due to timeout": name the URL and the cause instead. */
function exchangeFailed(url: string, timeoutMs: number, err: unknown): Error {
  if (err instanceof Error && err.name === 'TimeoutError') return new Error(`MI ${url}: no answer within ${timeoutMs} ms`, { cause: err });
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return new Error(`MI ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause: err });
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Plain decimals; the round trip in `convert` keeps `007`, `-0`, `1.50` and unsafe integers as strings. */
const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

function convert(value: string): unknown {
  const c = value[0];
  if (c === '[' || c === '{') {
    try {
      return JSON.parse(value) as unknown;
    } catch (err) {
      throw new Error(`invalid JSON in MI argument ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  if (NUMBER.test(value)) {
    // Only when the number prints back the same, so no digit the operator typed is lost.
    const n = Number(value);
    if (String(n) === value && (!Number.isInteger(n) || Number.isSafeInteger(n))) return n;
  }
  return value;
}

/**
 * Command-line args to MI params: all `name=value` → an object, all bare values → a positional array.
 * Values become numbers when they are plain decimals and JSON when they start with `[` or `{`;
 * anything else (`a,b`, `sip:alice@example.com;transport=tcp`) stays a string. An argument only counts
 * as `name=value` when `name` is an identifier, so a URI carrying `=` is a bare value.
 */
export function parseMiArgs(args: string[]): Record<string, unknown> | unknown[] {
  const named: Record<string, unknown> = {};
  const positional: unknown[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : '';
    if (name !== '' && PARAM_NAME.test(name)) {
      if (Object.hasOwn(named, name)) throw new Error(`MI param "${name}" given twice`);
      named[name] = convert(arg.slice(eq + 1));
    } else positional.push(convert(arg));
  }
  const nNamed = Object.keys(named).length;
  if (nNamed > 0 && positional.length > 0) {
    throw new Error('MI params must be either all name=value or all positional, not a mix');
  }
  return nNamed > 0 ? named : positional;
}
