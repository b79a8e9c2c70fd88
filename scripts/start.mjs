#!/usr/bin/env node
/**
 * `pnpm start`: brings dist/ of the server and its workspace packages up to date (scripts/transpile.mjs,
 * esbuild only when a source changed) and runs the `tsips` binary in this same process, with this
 * process's arguments (`pnpm start --listen udp:127.0.0.1:5070`). One Node start instead of two.
 */
import { transpile } from './transpile.mjs';

await transpile('@tsips/server');
await import('../apps/server/dist/bin.js');
