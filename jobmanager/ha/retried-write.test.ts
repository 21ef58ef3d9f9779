import { FlinkxError } from '../../common/errors';
import { ManualClock } from '../testing/manual-clock';
import { RetriedWrite, WRITE_RETRY, type WriteFailure } from './retried-write';

describe('RetriedWrite', () => {
  it('retries a failing write with doubling back-off up to the maximum, each try with the current value, until it succeeds', () => {
    const clock = new ManualClock();
    let value = 1;
    let full = true;
    const tries: { at: number; value: number }[] = [];
    const events: string[] = [];
    const w = new RetriedWrite(
      () => value,
      (v) => {
        tries.push({ at: clock.now(), value: v });
        if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      clock,
      () => clock.now(),
      {
        failed: (f: WriteFailure, first) => events.push(`failed ${first} ${f.retryInMs}`),
        recovered: (since) => events.push(`recovered ${clock.now() - since}`),
      },
    );
    const t0 = clock.now();
    w.save();
    expect(w.failure).toMatchObject({ since: t0, retryInMs: WRITE_RETRY.initialMs });
    expect(w.failure!.error).toBeInstanceOf(FlinkxError);
    expect(w.failure!.error.message).toContain('no space left on device');
    value = 2;
    clock.advance(60_000);
    const gaps = tries.slice(1).map((t, i) => t.at - tries[i].at);
    expect(gaps.slice(0, 6)).toEqual([200, 400, 800, 1600, 3200, WRITE_RETRY.maxMs]);
    expect(new Set(gaps.slice(5))).toEqual(new Set([WRITE_RETRY.maxMs]));
    expect(tries.slice(1).every((t) => t.value === 2)).toBe(true);
    expect(events.slice(0, 2)).toEqual([`failed true 200`, `failed false 400`]);

    full = false;
    value = 3;
    clock.advance(WRITE_RETRY.maxMs);
    expect(w.failure).toBeUndefined();
    expect(tries[tries.length - 1].value).toBe(3);
    expect(events[events.length - 1]).toMatch(/^recovered \d+$/);
    const n = tries.length;
    clock.advance(60_000);
    expect(tries.length).toBe(n); // nothing to retry

    // a new streak starts from the first delay again; close() ends it
    full = true;
    w.save();
    expect(w.failure!.retryInMs).toBe(WRITE_RETRY.initialMs);
    w.close();
    clock.advance(60_000);
    expect(tries.length).toBe(n + 1);
  });

  it('a save while a retry waits tries at once and keeps the back-off growing', () => {
    const clock = new ManualClock();
    const tries: number[] = [];
    const w = new RetriedWrite(
      () => 0,
      () => {
        tries.push(clock.now());
        throw new Error('EDQUOT');
      },
      clock,
      () => clock.now(),
    );
    w.save();
    clock.advance(100);
    w.save();
    expect(tries.length).toBe(2);
    expect(w.failure!.retryInMs).toBe(400);
    clock.advance(399);
    expect(tries.length).toBe(2);
    clock.advance(1);
    expect(tries.length).toBe(3);
    w.close();
  });
});
