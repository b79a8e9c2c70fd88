#!/usr/bin/env node
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Config and start-up errors are for a person: the message, not a stack.
    const e = err as { code?: string; message?: string };
    process.stderr.write(`tsips: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  },
);
