import { fileURLToPath } from 'node:url';

/**
 * The RFC 4475 torture corpus, copied into the repo from the project's shared specification so a clone
 * alone runs its tests (provenance and per-file sources: fixtures/rfc4475/README.md and index.tsv).
 */
export const RFC4475_DIR = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
