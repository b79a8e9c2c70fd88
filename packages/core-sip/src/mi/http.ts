/**
 * MI over HTTP, like OpenSIPS mi_http: `POST /mi` carries JSON-RPC 2.0, `GET /metrics` serves Prometheus.
 *
 * MI can reset statistics, change log levels and (with modules) drop calls, so the server refuses to
 * listen beyond loopback without a bearer token, and it bounds what a client can make it hold: body
 * size and the time allowed to send a request, so a slow or half-sent request cannot pin it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { handleJsonRpc, rpcError } from './jsonrpc.js';
import { MiErrorCode } from './types.js';
import type { MiRegistry } from './types.js';

export interface MiHttpOptions {
  /** Default 127.0.0.1. Any non-loopback address requires `token`. */
  host?: string;
  /** Default 8888; 0 picks a free port (see the returned `port`). */
  port?: number;
  /** Path of the JSON-RPC endpoint; default `/mi`. */
  root?: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  mi: MiRegistry;
  /** Serves `GET /metrics` when given (e.g. `createPrometheus(stats).scrape`). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
  /** Largest accepted request body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** Time a client has to send a whole request (headers and body); default 10 s. */
  requestTimeoutMs?: number;
}

export interface MiHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export class MiHttpError extends Error {
  constructor(
    readonly code: 'E_MI_HTTP_INSECURE' | 'E_MI_HTTP_OPTIONS',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MiHttpError';
  }
}

export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.toLowerCase().startsWith('::ffff:127.');
  return false;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares hashes so neither the token's content nor its length leaks through timing. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) return false;
  return timingSafeEqual(digest(m[1]), expected);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** The client left before sending its whole request: nothing to answer. */
class ClientGone extends Error {}

type BodyResult = { ok: true; body: Buffer } | { ok: false };

/** Reads the body up to `limit` bytes; stops reading (and reports) as soon as it is exceeded. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        resolve({ ok: false });
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => resolve({ ok: true, body: Buffer.concat(chunks, size) });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
    // A client that goes away (or is cut by the request timeout) never sends 'end'.
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
  });
}

export function startMiHttp(opts: MiHttpOptions): Promise<MiHttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8888;
  const root = (opts.root ?? '/mi').replace(/\/+$/, '') || '/';
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  const requestTimeout = opts.requestTimeoutMs ?? 10_000;
  const { mi, log, metrics } = opts;
  if (!isLoopback(host) && !opts.token) {
    return Promise.reject(new MiHttpError('E_MI_HTTP_INSECURE', `refusing to serve MI on ${host} without a token: set a token or bind a loopback address (127.0.0.1)`));
  }
  if (opts.token !== undefined && opts.token.length === 0) {
    return Promise.reject(new MiHttpError('E_MI_HTTP_OPTIONS', 'the MI token must not be empty'));
  }
  if (!(requestTimeout > 0)) return Promise.reject(new MiHttpError('E_MI_HTTP_OPTIONS', 'requestTimeoutMs must be > 0'));
  const expected = opts.token === undefined ? undefined : digest(opts.token);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (expected && !tokenMatches(req.headers.authorization, expected)) {
      send(res, 401, { 'WWW-Authenticate': 'Bearer', ...JSON_TYPE }, '{"error":"unauthorized"}');
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);

    if (path === root || path === `${root}/`) {
      if (req.method !== 'POST') {
        send(res, 405, { Allow: 'POST', ...JSON_TYPE }, '{"error":"method not allowed"}');
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (declared > bodyLimit) {
        // Not reading the body: close the connection rather than drain what we refused.
        send(res, 413, { Connection: 'close', ...JSON_TYPE }, '{"error":"request body too large"}');
        return;
      }
      const read = await readBody(req, bodyLimit);
      if (!read.ok) {
        send(res, 413, { Connection: 'close', ...JSON_TYPE }, '{"error":"request body too large"}');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(read.body.toString('utf8'));
      } catch {
        send(res, 200, JSON_TYPE, JSON.stringify(rpcError(MiErrorCode.ParseError, 'Parse error', null)));
        return;
      }
      const answer = await handleJsonRpc(mi, parsed, log);
      if (answer === undefined) send(res, 204, {});
      else send(res, 200, JSON_TYPE, JSON.stringify(answer));
      return;
    }

    if (path === '/metrics' && metrics) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, { Allow: 'GET, HEAD', ...JSON_TYPE }, '{"error":"method not allowed"}');
        return;
      }
      const m = await metrics();
      send(res, 200, { 'Content-Type': m.contentType }, req.method === 'HEAD' ? undefined : m.body);
      return;
    }

    send(res, 404, JSON_TYPE, '{"error":"not found"}');
  };

  const server = createServer(
    {
      requestTimeout,
      headersTimeout: requestTimeout,
      // Node checks the two timeouts above on this period (30 s by default, which would defeat them).
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(requestTimeout / 4))),
      keepAliveTimeout: 5000,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (err instanceof ClientGone || req.destroyed) {
          log.debug({ url: req.url }, 'MI HTTP client left before sending its request');
          res.destroy();
          return;
        }
        log.error({ err, url: req.url }, 'MI HTTP request failed');
        if (!res.headersSent) send(res, 500, { Connection: 'close', ...JSON_TYPE }, '{"error":"internal error"}');
        else res.destroy();
      });
    },
  );
  server.on('error', (err) => log.error({ err }, 'MI HTTP server error'));

  return new Promise((resolve, reject) => {
    const onListenError = (err: Error): void => reject(err);
    server.once('error', onListenError);
    server.listen(port, host, () => {
      server.off('error', onListenError);
      const bound = (server.address() as AddressInfo).port;
      log.info({ host, port: bound, root, auth: expected !== undefined }, 'MI HTTP listening');
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive and half-sent requests would otherwise hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
