/** The parts with no network: timer scheme, backoff, hash, row validation, start errors. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SipServer } from '@core/sip';
import tm from '@mod/tm';
import uacAuth from '@mod/uac-auth';
import registrant, { BucketTimer, DEFAULT_COLUMNS, aorHash, registrantSchema, retryDelayMs } from '../src/index.js';
import { configOfRow } from '../src/rows.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('bucket timer', () => {
  it('interval 8 with hash_size 2: a bucket every 2 s, in order, wrapping', () => {
    vi.useFakeTimers({ now: 0 });
    const seen: [number, number][] = [];
    const t = new BucketTimer(8, 4, (b) => seen.push([Date.now(), b]));
    expect(t.stepSec).toBe(2);
    t.start(0);
    vi.advanceTimersByTime(10_000);
    t.stop();
    expect(seen).toEqual([
      [2000, 0],
      [4000, 1],
      [6000, 2],
      [8000, 3],
      [10000, 0],
    ]);
    expect(t.nextVisitAt(1, 4001)).toBe(12_000);
    expect(t.nextVisitAt(3, 0)).toBe(8000);
  });

  it('timer_interval lower than the buckets is refused, naming the param', () => {
    expect(() => new BucketTimer(3, 4, () => undefined)).toThrowErrorMatchingInlineSnapshot(
      `[TsipsError: uac_registrant: timer_interval (3) is lower than the number of hash buckets (2^hash_size = 4); raise timer_interval or lower hash_size]`,
    );
  });

  it('the server does not start with timer_interval < 2^hash_size', async () => {
    const s = new SipServer({
      listen: ['udp:127.0.0.1:0'],
      mi: false,
      log: { level: 'silent' },
      modules: [tm, uacAuth, registrant],
      modparams: { uac_registrant: { timer_interval: 7, hash_size: 3 } },
      routes: { request: () => undefined },
    });
    await expect(s.start()).rejects.toThrow(/timer_interval \(7\) is lower than the number of hash buckets \(2\^hash_size = 8\)/);
    await s.stop().catch(() => undefined);
  });
});

describe('backoff', () => {
  it('doubles from failure_retry_interval, is capped, and jitters within ±25 %', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 10].map((f) => retryDelayMs(f, 10, 60, mid))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(1, 10, 60, () => 0)).toBe(7500);
    expect(retryDelayMs(1, 10, 60, () => 0.999999)).toBe(12_500);
    expect(retryDelayMs(9, 10, 60, () => 0.999999)).toBe(60_000);
  });
});

describe('rows', () => {
  const row = (o: Record<string, string | number | null>) => ({ id: 7, registrar: 'sip:reg.example', aor: 'sip:a@example', binding_URI: 'sip:a@127.0.0.1', ...o });

  it('defaults: From = aor, default expiry, enabled', () => {
    const r = configOfRow(row({ expiry: null, state: null }), DEFAULT_COLUMNS, 3600);
    expect(r).toMatchObject({ ok: true, cfg: { expiry: 3600, enabled: true, thirdParty: '', proxy: '', id: 7 } });
  });

  it.each([
    [{ aor: 'nonsense' }, /registrant id=7 \(nonsense\): column "aor" "nonsense" is not a valid URI/],
    [{ registrar: '' }, /column "registrar" is empty/],
    [{ binding_URI: 'http://x' }, /column "binding_URI" "http:\/\/x" is not a sip\/sips URI/],
    [{ proxy: 'sip:' }, /column "proxy"/],
    [{ binding_params: 'reg-id=1' }, /column "binding_params" "reg-id=1" must start with ";"/],
    [{ cluster_shtag: 'vip' }, /column "cluster_shtag" "vip" is not in tag_name\/cluster_id form/],
    [{ state: 2 }, /column "state" "2" is not 0 \(enabled\) or 1 \(disabled\)/],
    [{ expiry: -5 }, /column "expiry"/],
  ])('rejects %j naming the row and column', (o, re) => {
    const r = configOfRow(row(o), DEFAULT_COLUMNS, 3600);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(re);
  });

  it('the table has OpenSIPS column names, renamed by the *_column params', () => {
    expect(registrantSchema().columns.map((c) => c.name)).toEqual([
      'id',
      'registrar',
      'proxy',
      'aor',
      'third_party_registrant',
      'username',
      'password',
      'binding_URI',
      'binding_params',
      'expiry',
      'forced_socket',
      'cluster_shtag',
      'state',
    ]);
    expect(registrantSchema('r2', { ...DEFAULT_COLUMNS, aor: 'to_uri' }).columns.map((c) => c.name)).toContain('to_uri');
  });
});

describe('hash', () => {
  it('spreads AORs over every bucket', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[aorHash(`sip:user${i}@example.com`, 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(150);
  });
});
