/**
 * Flink's KeyedProcessFunction in the API: the context and state types a user function is handed;
 * the runtime's `process` node (taskmanager/operators/process/) and state handles implement them. State is scoped to the current key,
 * kept in checkpoints, and must be plain data (it travels as msgpack).
 */
import type { Duration } from './transformation';

/** Time to live of a state entry, in processing time since its last write. */
export interface StateOptions {
  ttl?: Duration;
}

/** A value of the current key (Flink's ValueState); the runtime's state handles implement it. */
export interface ValueState<V> {
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}

/** A list of the current key (Flink's ListState). */
export interface ListState<V> {
  get(): V[];
  add(value: V): void;
  update(values: V[]): void;
  clear(): void;
}

/** A map of the current key, by string keys (Flink's MapState). */
export interface MapState<V> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  remove(key: string): void;
  contains(key: string): boolean;
  entries(): [string, V][];
  clear(): void;
}

/** The context of one call: the current key's state and timers, and the output. */
export interface KeyedProcessContext<K, O> {
  readonly key: K;
  /**
   * Event time of the record, or of the event-time timer, being processed. Undefined for a record
   * without one (no `assignTimestampsAndWatermarks` / `timestamps` before this node) and in onTimer
   * of a processing-time timer: `ctx.timestamp + 60000` is then NaN, and a timer at it fails the job.
   */
  readonly timestamp: number | undefined;
  /** In onTimer: which clock fired the timer. */
  readonly timeDomain: 'event' | 'processing' | undefined;
  /** Emits a record, with the current event time (the timer's in onTimer). */
  emit(record: O): void;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /**
   * A timer of this key that fires once the watermark reaches `timestamp` (ms; at or behind the
   * watermark: at the next one). A timestamp that is no number (NaN, undefined) throws
   * (INVALID_TIMER, non-retriable); -Infinity and Infinity are the ends of time.
   */
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  /** A timer of this key that fires when the clock reaches `timestamp` (epoch ms; in the past: at once). NaN throws as above. */
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  valueState<V>(name: string, options?: StateOptions): ValueState<V>;
  listState<V>(name: string, options?: StateOptions): ListState<V>;
  mapState<V>(name: string, options?: StateOptions): MapState<V>;
}

/** A function of the record alone, or with `onTimer` for the timers it registers. */
export type KeyedProcessFunction<K, I, O> =
  | ((value: I, ctx: KeyedProcessContext<K, O>) => void)
  | {
      processElement(value: I, ctx: KeyedProcessContext<K, O>): void;
      onTimer?(timestamp: number, ctx: KeyedProcessContext<K, O>): void;
    };
