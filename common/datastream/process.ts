/**
 * Flink's KeyedProcessFunction in the API: the types of what the runtime's `process` node
 * (taskmanager/operators/process/) hands a user function. State is scoped to the current key,
 * kept in checkpoints, and must be plain data (it travels as msgpack).
 */
import type { ListState, MapState, ValueState } from '../../taskmanager/state/state-handles';
import type { Duration } from './transformation';

// The handles are the runtime's own (the process node hands these very objects to the function).
export type { ListState, MapState, ValueState } from '../../taskmanager/state/state-handles';

/** Time to live of a state entry, in processing time since its last write. */
export interface StateOptions {
  ttl?: Duration;
}

/** The context of one call: the current key's state and timers, and the output. */
export interface KeyedProcessContext<K, O> {
  readonly key: K;
  /** Event time of the record, or of the event-time timer, being processed (if it has one). */
  readonly timestamp: number | undefined;
  /** In onTimer: which clock fired the timer. */
  readonly timeDomain: 'event' | 'processing' | undefined;
  /** Emits a record, with the current event time (the timer's in onTimer). */
  emit(record: O): void;
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
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
