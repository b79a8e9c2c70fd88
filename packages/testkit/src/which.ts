import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingBinaryError } from './errors.js';

/** Absolute path of an executable found in PATH (or the path itself when absolute), or undefined. */
export function which(bin: string): string | undefined {
  const candidates = bin.includes('/')
    ? [bin]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here, try the next directory
    }
  }
  return undefined;
}

/** True when the SIPp binary is installed (scenario tests run only then). */
export function sippAvailable(): boolean {
  return which('sipp') !== undefined;
}

/** The binary's path, or a MissingBinaryError at once: a test must not wait out a timeout for a missing tool. */
export function requireBinary(bin: string): string {
  const path = which(bin);
  if (path === undefined) throw new MissingBinaryError(bin, bin.includes('/') ? 'no executable at that path' : 'not found in PATH');
  return path;
}

/** A spawn 'error' (ENOENT, EACCES…) turned into the same clear failure. */
export function spawnFailure(bin: string, err: Error): MissingBinaryError {
  const code = (err as NodeJS.ErrnoException).code;
  return new MissingBinaryError(bin, `spawn failed: ${code ?? err.message}`, { cause: err });
}
