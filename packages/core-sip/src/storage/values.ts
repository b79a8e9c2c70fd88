/**
 * Reading a column back from a Db row, whatever the driver returned for it: MySQL gives VARCHAR/TEXT as
 * strings, BLOB as a Buffer, integers as numbers (BIGINT possibly as a string or bigint); the memory Db
 * gives back what was written. A missing or NULL column reads as '' / 0.
 */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return '';
}

export function numberOf(v: unknown): number {
  return typeof v === 'number' ? v : Number(textOf(v)) || 0;
}
