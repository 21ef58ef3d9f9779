/**
 * Event time and window assigners of the DataStream API, as Flink names them. They only describe
 * the job file's `timestamps` and `window` / `time` settings (README "Event time and windows"):
 * the window node of the runtime does the work.
 */
import type { Duration, WindowInput } from './transformation';

/** Fields of T that can hold an event time: epoch numbers, or ISO-8601 strings with `unit: 'iso'`. */
export type TimeField<T> = T extends object
  ? { [F in keyof T]-?: T[F] extends number | string ? F : never }[keyof T] & string
  : never;

/**
 * Flink's `WatermarkStrategy.forBoundedOutOfOrderness(...).withTimestampAssigner(...)`: the record
 * field holding the time, how late a record may come (default 0: watermarks follow the largest time
 * seen), and after how long without records a subtask stops holding back the watermark.
 */
export type WatermarkStrategy<T> = {
  maxOutOfOrderness?: Duration;
  idleTimeout?: Duration;
} & ({ field: TimeField<T>; unit?: 'ms' | 's' | 'iso' } | { /** A Kafka source's record timestamps. */ from: 'kafka' });

/** A window assigner: the job file's `window`, and which clock drives it. */
export interface WindowAssigner {
  readonly window: WindowInput;
  readonly time: 'event' | 'processing';
}

const tumbling = (time: WindowAssigner['time']) => ({
  /**
   * Windows of `size` one after another; `offset` (|offset| < size, either sign) shifts their starts,
   * e.g. `of('24h', '-8h')` for days from midnight in UTC+8.
   */
  of: (size: Duration, offset?: Duration): WindowAssigner => ({
    window: { kind: 'tumbling', size, ...(offset !== undefined && { offset }) },
    time,
  }),
});
const sliding = (time: WindowAssigner['time']) => ({
  /** Windows of `size` starting every `slide`, each record in size / slide of them; `offset` (|offset| < slide) shifts their starts. */
  of: (size: Duration, slide: Duration, offset?: Duration): WindowAssigner => ({
    window: { kind: 'sliding', size, slide, ...(offset !== undefined && { offset }) },
    time,
  }),
});
const session = (time: WindowAssigner['time']) => ({
  /** A window per burst of a key's records, closed after `gap` without one. */
  withGap: (gap: Duration): WindowAssigner => ({ window: { kind: 'session', gap }, time }),
});

export const TumblingEventTimeWindows = tumbling('event');
export const TumblingProcessingTimeWindows = tumbling('processing');
export const SlidingEventTimeWindows = sliding('event');
export const SlidingProcessingTimeWindows = sliding('processing');
export const EventTimeSessionWindows = session('event');
export const ProcessingTimeSessionWindows = session('processing');
