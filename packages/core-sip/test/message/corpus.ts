import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { RFC4475_DIR } from '@tsips/testkit';

/** The RFC 4475 torture corpus, the repo's own copy (packages/testkit/fixtures/rfc4475). */
export const CORPUS_DIR = pathToFileURL(RFC4475_DIR);

export interface CorpusEntry {
  name: string;
  expected: 'valid' | 'invalid';
  section: string;
  note: string;
  bytes: Buffer;
}

export function loadCorpus(): CorpusEntry[] {
  const tsv = readFileSync(new URL('index.tsv', CORPUS_DIR), 'utf8').trim().split('\n').slice(1);
  return tsv.map((line) => {
    const [name = '', expected = '', section = '', note = ''] = line.split('\t');
    if (expected !== 'valid' && expected !== 'invalid') throw new Error(`bad index.tsv line: ${line}`);
    return { name, expected, section, note, bytes: readFileSync(new URL(`${name}.dat`, CORPUS_DIR)) };
  });
}

export function corpusMessage(name: string): Buffer {
  return readFileSync(new URL(`${name}.dat`, CORPUS_DIR));
}
