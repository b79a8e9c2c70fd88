/**
 * JSON-RPC 2.0 request handling for MI, independent of the transport: takes the parsed body,
 * returns the response value (or undefined when nothing must be sent back).
 */
import type { Logger } from 'pino';
import { MiError, MiErrorCode } from './types.js';
import type { MiRegistry } from './types.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  result: unknown;
  id: JsonRpcId;
}
export interface JsonRpcFailure {
  jsonrpc: '2.0';
  error: { code: number; message: string };
  id: JsonRpcId;
}
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

export function rpcError(code: number, message: string, id: JsonRpcId): JsonRpcFailure {
  return { jsonrpc: '2.0', error: { code, message }, id };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One request object; undefined for a notification (no `id` member), which gets no answer. */
async function handleOne(mi: MiRegistry, req: unknown, log: Logger): Promise<JsonRpcResponse | undefined> {
  if (!isRecord(req)) return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request', null);
  const rawId = req['id'];
  const hasId = 'id' in req;
  const idOk = rawId === null || typeof rawId === 'string' || typeof rawId === 'number';
  const id: JsonRpcId = idOk ? rawId : null;
  if (hasId && !idOk) return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request: bad id', null);
  if (req['jsonrpc'] !== '2.0') return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request: jsonrpc must be "2.0"', id);
  const method = req['method'];
  if (typeof method !== 'string') return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request: method must be a string', id);
  const params = req['params'];
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request: params must be an object or an array', id);
  }
  try {
    const result = await mi.call(method, params as Record<string, unknown> | unknown[] | undefined);
    return hasId ? { jsonrpc: '2.0', result, id } : undefined;
  } catch (err) {
    if (!hasId) {
      log.debug({ err, mi: method }, 'MI notification failed');
      return undefined;
    }
    if (err instanceof MiError) return rpcError(err.code, err.message, id);
    // MiRegistry.call only throws MiError; anything else is a bug in a registry implementation.
    log.error({ err, mi: method }, 'MI call failed');
    return rpcError(MiErrorCode.InternalError, 'Internal error', id);
  }
}

/**
 * A single request or a batch. Batch items run one after another, in order, so that
 * `[reset_statistics, get_statistics]` means what it says.
 */
export async function handleJsonRpc(mi: MiRegistry, body: unknown, log: Logger): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
  if (!Array.isArray(body)) return handleOne(mi, body, log);
  if (body.length === 0) return rpcError(MiErrorCode.InvalidRequest, 'Invalid Request: empty batch', null);
  const out: JsonRpcResponse[] = [];
  for (const req of body) {
    const r = await handleOne(mi, req, log);
    if (r) out.push(r);
  }
  return out.length > 0 ? out : undefined;
}
