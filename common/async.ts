/**
 * Promise helpers shared by code that waits on real time (the CLI, sources, benches). The
 * JobManager's components take a Clock and Timers instead (jobmanager/clock.ts), so tests drive them.
 */

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/** A promise with its resolve and reject, for a result another callback delivers. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Calls `probe` every `everyMs` until it gives a value, and once more at the deadline; undefined
 * when `timeoutMs` passed without one (the caller says what did not happen). A probe that throws
 * ends the wait with its error.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await delay(Math.min(everyMs, left));
  }
}
