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

/** Every typed accessor; reading one must either work or throw a SipParseError, never anything else. */
export const ACCESSORS = [
  'via',
  'topVia',
  'from',
  'to',
  'callId',
  'cseq',
  'maxForwards',
  'contacts',
  'contactStar',
  'routes',
  'recordRoutes',
  'contentLength',
  'contentType',
  'expires',
  'event',
  'allow',
  'supported',
  'require',
  'body',
  'authorization',
  'proxyAuthorization',
  'wwwAuthenticate',
  'proxyAuthenticate',
  'date',
  'uri',
] as const;
export type Accessor = (typeof ACCESSORS)[number];
