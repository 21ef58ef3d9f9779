import { RestartSchema, type RestartSpec } from '../../common/jobfile';
import { ManualClock } from '../testing/manual-clock';
import { createRestartStrategy, effectiveRestart, maxRestartDelay } from './restart-strategy';

const spec = (input: unknown): RestartSpec => RestartSchema.parse(input);

describe('effectiveRestart', () => {
  it('defaults to exponential delay with Flink 1.20 numbers when the job checkpoints', () => {
    expect(effectiveRestart({ checkpointing: { interval: 100, mode: 'exactly-once', timeout: 60_000 } })).toEqual({
      strategy: 'exponential-delay',
      initialBackoff: 1000,
      maxBackoff: 60_000,
      backoffMultiplier: 1.5,
      resetBackoffThreshold: 3_600_000,
      jitterFactor: 0.1,
    });
  });

  it('defaults to no restart without checkpointing', () => {
    expect(effectiveRestart({})).toEqual({ strategy: 'none' });
    expect(createRestartStrategy(effectiveRestart({})).canRestart()).toBe(false);
  });

  it("keeps the job's own block, checkpointing or not", () => {
    const restart = spec({ attempts: 3, delay: 10 });
    expect(effectiveRestart({ restart, checkpointing: { interval: 100, mode: 'exactly-once', timeout: 1 } })).toBe(
      restart,
    );
  });
});

describe('none', () => {
  it('never restarts', () => {
    const s = createRestartStrategy(spec({ strategy: 'none' }));
    s.notifyFailure();
    expect(s.canRestart()).toBe(false);
  });
});

describe('fixed-delay', () => {
  it('restarts `attempts` times after `delay`, then refuses', () => {
    const s = createRestartStrategy(spec({ strategy: 'fixed-delay', attempts: 2, delay: 700 }));
    for (let i = 0; i < 2; i++) {
      s.notifyFailure();
      expect(s.canRestart()).toBe(true);
      expect(s.backoffTime()).toBe(700);
    }
    s.notifyFailure();
    expect(s.canRestart()).toBe(false);
  });

  it('the older {attempts, delay} form is fixed-delay; attempts 0 never restarts', () => {
    expect(spec({ attempts: 3, delay: 200 })).toEqual({ strategy: 'fixed-delay', attempts: 3, delay: 200 });
    const s = createRestartStrategy(spec({ attempts: 0 }));
    s.notifyFailure();
    expect(s.canRestart()).toBe(false);
  });
});

describe('failure-rate', () => {
  it('restarts while at most maxFailuresPerInterval failures fall in the interval', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(
      spec({ strategy: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 10_000, delay: 50 }),
      clock,
    );
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    expect(s.backoffTime()).toBe(50);
    clock.advance(4000);
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    clock.advance(4000);
    s.notifyFailure(); // three in 8 s
    expect(s.canRestart()).toBe(false);
  });

  it('failures older than the interval no longer count', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(
      spec({ strategy: 'failure-rate', maxFailuresPerInterval: 1, failureRateInterval: 1000 }),
      clock,
    );
    for (let i = 0; i < 5; i++) {
      s.notifyFailure();
      expect(s.canRestart()).toBe(true);
      clock.advance(1001);
    }
  });
});

describe('exponential-delay', () => {
  const noJitter = () => 0.5; // the middle of [-spread, spread]: no jitter

  it('backs off 1 s, 1.5 s, 2.25 s ... up to maxBackoff, restarting without limit', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(
      spec({ strategy: 'exponential-delay', jitterFactor: 0, maxBackoff: 5000 }),
      clock,
      noJitter,
    );
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      s.notifyFailure();
      expect(s.canRestart()).toBe(true);
      delays.push(s.backoffTime());
      clock.advance(s.backoffTime() + 10); // restarted; fails again soon after
    }
    expect(delays).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  });

  it('the backoff left shrinks as the clock runs', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(spec({ strategy: 'exponential-delay', jitterFactor: 0 }), clock);
    s.notifyFailure();
    clock.advance(400);
    expect(s.backoffTime()).toBe(600);
    clock.advance(1000);
    expect(s.backoffTime()).toBe(0);
  });

  it('jitter stays within ±jitterFactor of the backoff', () => {
    const low = createRestartStrategy(
      spec({ strategy: 'exponential-delay', initialBackoff: 1000, jitterFactor: 0.1 }),
      new ManualClock(),
      () => 0,
    );
    const high = createRestartStrategy(
      spec({ strategy: 'exponential-delay', initialBackoff: 1000, jitterFactor: 0.1 }),
      new ManualClock(),
      () => 0.9999,
    );
    low.notifyFailure();
    high.notifyFailure();
    // never below initialBackoff, as in Flink
    expect(low.backoffTime()).toBe(1000);
    expect(high.backoffTime()).toBe(1100);
  });

  it('failures while a restart is pending join it', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(
      spec({ strategy: 'exponential-delay', jitterFactor: 0, attemptsBeforeResetBackoff: 1 }),
      clock,
    );
    s.notifyFailure();
    clock.advance(500);
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    expect(s.backoffTime()).toBe(500);
  });

  it('attemptsBeforeResetBackoff bounds the restarts; a long enough run without failure resets the count and the backoff', () => {
    const clock = new ManualClock();
    const s = createRestartStrategy(
      spec({
        strategy: 'exponential-delay',
        jitterFactor: 0,
        attemptsBeforeResetBackoff: 2,
        resetBackoffThreshold: 60_000,
      }),
      clock,
    );
    s.notifyFailure();
    clock.advance(s.backoffTime() + 1);
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    expect(s.backoffTime()).toBe(1500);
    clock.advance(s.backoffTime() + 60_000); // ran an hour's worth (here 60 s) without failing
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    expect(s.backoffTime()).toBe(1000);
    clock.advance(s.backoffTime() + 1);
    s.notifyFailure();
    clock.advance(s.backoffTime() + 1);
    s.notifyFailure();
    expect(s.canRestart()).toBe(false);
  });
});

describe('maxRestartDelay', () => {
  it('is the longest wait before a restart each strategy can ask for', () => {
    expect(maxRestartDelay(spec({ strategy: 'none' }))).toBe(0);
    expect(maxRestartDelay(spec({ attempts: 3, delay: '70s' }))).toBe(70_000);
    expect(maxRestartDelay(spec({ strategy: 'failure-rate', delay: 2_000 }))).toBe(2_000);
    // Jitter never takes a delay past maxBackoff.
    expect(maxRestartDelay(spec({ strategy: 'exponential-delay' }))).toBe(60_000);
    const s = createRestartStrategy(
      spec({ strategy: 'exponential-delay', initialBackoff: 1000, maxBackoff: 5000, jitterFactor: 1 }),
      { now: () => 0 },
      () => 0.999,
    );
    for (let i = 0; i < 10; i++) {
      s.notifyFailure();
      expect(s.backoffTime()).toBeLessThanOrEqual(5000);
    }
  });
});
