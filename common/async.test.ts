import { deferred, delay, pollUntil } from './async';

describe('common/async', () => {
  afterEach(() => jest.useRealTimers());

  it('delay resolves once its time has passed, not before', async () => {
    jest.useFakeTimers();
    let done = false;
    const waiting = delay(1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('deferred settles from outside, once', async () => {
    const d = deferred<number>();
    d.resolve(1);
    d.resolve(2);
    await expect(d.promise).resolves.toBe(1);
    const failed = deferred();
    failed.reject(new Error('no'));
    await expect(failed.promise).rejects.toThrow('no');
  });

  it('pollUntil returns the first value, probing every everyMs', async () => {
    jest.useFakeTimers();
    let calls = 0;
    const result = pollUntil(async () => (++calls === 3 ? 'ready' : undefined), 10_000, 100);
    await jest.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toBe('ready');
    expect(calls).toBe(3);
  });

  it('pollUntil probes once more at the deadline, then gives undefined', async () => {
    jest.useFakeTimers();
    const at: number[] = [];
    const start = Date.now();
    const result = pollUntil(async () => void at.push(Date.now() - start), 250, 100);
    await jest.advanceTimersByTimeAsync(250);
    await expect(result).resolves.toBeUndefined();
    expect(at).toEqual([0, 100, 200, 250]);
  });

  it('pollUntil ends with the error of a probe that throws', async () => {
    await expect(pollUntil(() => Promise.reject(new Error('cluster died')), 1000, 10)).rejects.toThrow('cluster died');
  });
});
