/**
 * A write to the data dir that is retried, with back-off, while it fails (a full disk): each try
 * writes the current value, so a retry never puts an older one on disk. The failure is kept for
 * the JobManager's health (GET /health) until a try succeeds.
 */
import { FlinkxError } from '../../common/errors';
import type { Timers } from '../clock';

/** Back-off of the retries: doubles from the first delay up to the last. */
export const WRITE_RETRY = { initialMs: 200, maxMs: 5_000 } as const;

/** The write that fails, since when, and when the next try is. */
export interface WriteFailure {
  error: FlinkxError;
  since: number;
  retryInMs: number;
}

export interface RetriedWriteListener {
  /** A try failed; `first` for the first of a streak. */
  failed?(failure: WriteFailure, first: boolean): void;
  /** A try succeeded after a streak of failures that began at `since`. */
  recovered?(since: number): void;
}

export class RetriedWrite<T> {
  private retry: (() => void) | undefined;
  private delay: number = WRITE_RETRY.initialMs;
  /** Set while the current value is not on disk. */
  failure: WriteFailure | undefined;

  constructor(
    private readonly current: () => T,
    private readonly write: (value: T) => void,
    private readonly timers: Timers,
    private readonly now: () => number,
    private readonly listener: RetriedWriteListener = {},
  ) {}

  /** The value changed: writes it now, or at the next retry. */
  save(): void {
    this.cancelRetry();
    this.tryWrite();
  }

  /** No more retries (the JobManager stops). */
  close(): void {
    this.cancelRetry();
  }

  /** `value` is on disk. */
  protected written(_value: T): void {}

  private tryWrite(): void {
    const value = this.current();
    try {
      this.write(value);
    } catch (err) {
      const error =
        err instanceof FlinkxError ? err : new FlinkxError('DATA_DIR_WRITE', (err as Error).message, { cause: err });
      const first = this.failure === undefined;
      this.failure = { error, since: this.failure?.since ?? this.now(), retryInMs: this.delay };
      this.retry = this.timers.schedule(() => {
        this.retry = undefined;
        this.tryWrite();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, WRITE_RETRY.maxMs);
      this.listener.failed?.(this.failure, first);
      return;
    }
    const failedSince = this.failure?.since;
    this.failure = undefined;
    this.delay = WRITE_RETRY.initialMs;
    if (failedSince !== undefined) this.listener.recovered?.(failedSince);
    this.written(value);
  }

  private cancelRetry(): void {
    this.retry?.();
    this.retry = undefined;
  }
}
