import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable found in PATH (or the path itself when absolute), or undefined. */
export function which(bin: string): string | undefined {
  const candidates = bin.includes('/') ? [bin] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, bin));
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
