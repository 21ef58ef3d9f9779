/**
 * Time and timers as the JobManager's components see them, injected so unit tests drive them by
 * hand (jobmanager/testing/manual-clock.ts) instead of waiting.
 */
export interface Clock {
  now(): number;
}

export interface Timers {
  /** Runs `fn` once after `delayMs`; the returned function cancels it. */
  schedule(fn: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  schedule(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
};

/** Timers for housekeeping (heartbeat checks) that must not keep the process alive on their own. */
export const backgroundTimers: Timers = {
  schedule(fn, delayMs) {
    const t = setTimeout(fn, delayMs).unref();
    return () => clearTimeout(t);
  },
};
