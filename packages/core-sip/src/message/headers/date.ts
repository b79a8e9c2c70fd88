import { headerError } from '../parse-error.js';

const DATE = /^\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT\s*$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** Parses a SIP-date (RFC 3261 20.17: RFC 1123 form, always GMT). Other zones are rejected (RFC 4475 baddate). */
export function parseSipDate(text: string, base = 0): Date {
  const m = DATE.exec(text);
  if (m === null) throw headerError('E_PARSE_HEADER', 'Date', base, `"${text}" is not an RFC 1123 date in GMT`);
  const month = MONTHS.indexOf(m[3] as string) / 3;
  const d = new Date(Date.UTC(Number(m[4]), month, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7])));
  if (Number.isNaN(d.getTime()) || d.getUTCDate() !== Number(m[2])) throw headerError('E_PARSE_HEADER', 'Date', base, `"${text}" is not a valid date`);
  return d;
}
