/**
 * sipp runs for the proxy and soak benchmarks: the bench/sipp/ scenarios with -trace_stat, and the last
 * cumulative row of the statistics CSV read back (calls, failures, retransmissions).
 */
import { readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, RESULTS_DIR } from './results.mjs';
import { HOST, start, stop } from './procs.mjs';

export const UAC_PORT = 15060;
export const UAS_PORT = 15070;
const RUN = join(RESULTS_DIR, '.run');

/** A fresh statistics CSV for sipp run `name` (any earlier one removed). */
export function statFile(name) {
  mkdirSync(RUN, { recursive: true });
  const f = join(RUN, `${name}.csv`);
  rmSync(f, { force: true });
  return f;
}

/** What every benchmark sipp gets: no stdin, a 4 MB socket buffer, and its cumulative statistics in `stf`. */
export function statArgs(stf) {
  return ['-nostdin', '-buff_size', '4194304', '-trace_stat', '-stf', stf, '-fd', '1'];
}

export function startUas() {
  const stf = statFile('uas');
  const child = start('sipp', ['-sf', join(BENCH_DIR, 'sipp/uas.xml'), '-i', HOST, '-p', String(UAS_PORT), ...statArgs(stf), '-timeout', '3600s']);
  return { child, stf };
}

/** A UAC at `rate` calls/s for `calls` calls through `serverPort`; holds each call `holdMs` between ACK and BYE. */
export function startUac({ serverPort, rate, calls, holdMs = 100, timeoutS }) {
  const stf = statFile('uac');
  const args = [
    '-sf',
    join(BENCH_DIR, 'sipp/uac.xml'),
    `${HOST}:${UAS_PORT}`,
    '-rsa',
    `${HOST}:${serverPort}`,
    '-i',
    HOST,
    '-p',
    String(UAC_PORT),
    '-s',
    'bench',
    '-r',
    String(rate),
    '-rp',
    '1000',
    '-m',
    String(calls),
    '-d',
    String(holdMs),
    ...statArgs(stf),
    '-timeout',
    `${timeoutS}s`,
    '-timeout_error',
    '-trace_err',
    '-error_file',
    join(RUN, 'uac-errors.log'),
  ];
  rmSync(join(RUN, 'uac-errors.log'), { force: true });
  return { child: start('sipp', args), stf };
}

/** The first lines of the UAC's error log (why calls failed), for the results file. */
export function uacErrors(max = 8) {
  const f = join(RUN, 'uac-errors.log');
  if (!existsSync(f)) return [];
  const out = [];
  for (const l of readFileSync(f, 'latin1').split('\n')) {
    const t = l.trim();
    if (t !== '' && !out.includes(t)) out.push(t);
    if (out.length >= max) break;
  }
  return out;
}

/** Last row of a sipp -trace_stat CSV as numbers: calls, failures, retransmissions, elapsed seconds. */
export function readStats(stf) {
  if (!existsSync(stf)) return undefined;
  const lines = readFileSync(stf, 'latin1')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const head = lines[0].split(';');
  const row = lines[lines.length - 1].split(';');
  const col = (name) => {
    const i = head.indexOf(name);
    return i < 0 ? NaN : Number(row[i]);
  };
  const elapsed = (row[head.indexOf('ElapsedTime(C)')] ?? '').split(':').map(Number);
  return {
    created: col('TotalCallCreated'),
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    retransmissions: col('Retransmissions(C)'),
    deadCalls: col('DeadCallMsgs(C)'),
    unexpected: col('FailedUnexpectedMessage(C)'),
    elapsedS: elapsed.length >= 3 ? elapsed[0] * 3600 + elapsed[1] * 60 + elapsed[2] : NaN,
  };
}

export { stop };
