/**
 * Restart strategies, as Flink's `RestartBackoffTimeStrategy`: told of each failure, they decide
 * whether the job may restart and after how long. Pure logic over an injected clock (and, for the
 * jitter, an injected random source), so the tests drive time by hand.
 *
 * Defaults as Flink 1.20's: without a `restart` block, a job with checkpointing restarts with
 * exponential delay (1 s, ×1.5 per failure, at most 1 min, ±10 % jitter, reset after 1 h without a
 * failure, unlimited attempts); a job without checkpointing does not restart.
 */
import type { RestartSpec } from '../../common/jobfile/schema';
import { systemClock, type Clock } from '../clock';

// Job-file level, so the job-file checks (Kafka transaction timeouts) use them too.
export { effectiveRestart, maxRestartDelay } from '../../common/jobfile/restart';

export interface RestartStrategy {
  /** A failure happened now. */
  notifyFailure(): void;
  /** Whether the failures so far still allow a restart. */
  canRestart(): boolean;
  /** How long (ms) to wait before the restart the last failure asks for. */
  backoffTime(): number;
}

export function createRestartStrategy(
  spec: RestartSpec,
  clock: Clock = systemClock,
  random: () => number = Math.random,
): RestartStrategy {
  switch (spec.strategy) {
    case 'none':
      return { notifyFailure: () => undefined, canRestart: () => false, backoffTime: () => 0 };
    case 'fixed-delay':
      return new FixedDelay(spec.attempts, spec.delay);
    case 'failure-rate':
      return new FailureRate(clock, spec.maxFailuresPerInterval, spec.failureRateInterval, spec.delay);
    case 'exponential-delay':
      return new ExponentialDelay(clock, random, spec);
  }
}

/** Up to `attempts` restarts, each after `delay`. */
class FixedDelay implements RestartStrategy {
  private failures = 0;
  constructor(
    private readonly attempts: number,
    private readonly delay: number,
  ) {}
  notifyFailure(): void {
    this.failures++;
  }
  canRestart(): boolean {
    return this.failures <= this.attempts;
  }
  backoffTime(): number {
    return this.delay;
  }
}

/** Restarts after `delay` while at most `maxFailures` failures fall within the last `interval` ms. */
class FailureRate implements RestartStrategy {
  private failures: number[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly maxFailures: number,
    private readonly interval: number,
    private readonly delay: number,
  ) {}
  notifyFailure(): void {
    this.failures.push(this.clock.now());
  }
  canRestart(): boolean {
    const now = this.clock.now();
    this.failures = this.failures.filter((t) => now - t <= this.interval);
    return this.failures.length <= this.maxFailures;
  }
  backoffTime(): number {
    return this.delay;
  }
}

type ExponentialSpec = Extract<RestartSpec, { strategy: 'exponential-delay' }>;

/**
 * The n-th restart since the last reset waits initialBackoff × multiplier^(n-1), jittered by
 * ±jitterFactor and kept within [initialBackoff, maxBackoff]. A failure while a restart is pending
 * joins that restart; one that comes resetBackoffThreshold after the last restart starts over.
 */
class ExponentialDelay implements RestartStrategy {
  /** Restarts since the last reset. */
  private attempt = 0;
  private nextRestartAt: number | undefined;
  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly spec: ExponentialSpec,
  ) {}

  notifyFailure(): void {
    const now = this.clock.now();
    if (this.nextRestartAt !== undefined && now <= this.nextRestartAt) return;
    if (this.nextRestartAt !== undefined && now - this.nextRestartAt >= this.spec.resetBackoffThreshold)
      this.attempt = 0;
    const { initialBackoff, maxBackoff, backoffMultiplier, jitterFactor } = this.spec;
    const base = Math.min(initialBackoff * backoffMultiplier ** this.attempt, maxBackoff);
    const spread = Math.floor(base * jitterFactor);
    const jitter = Math.floor(this.random() * (2 * spread + 1)) - spread;
    this.nextRestartAt = now + Math.max(initialBackoff, Math.min(Math.floor(base) + jitter, maxBackoff));
    this.attempt++;
  }

  canRestart(): boolean {
    return this.attempt <= (this.spec.attemptsBeforeResetBackoff ?? Infinity);
  }

  backoffTime(): number {
    return Math.max(0, (this.nextRestartAt ?? 0) - this.clock.now());
  }
}
