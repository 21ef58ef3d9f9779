/**
 * A keyed aggregation (sum, min, max, count, reduce) as a fold of its input into keyed state. Without
 * mini-batch every record updates its key's state and emits the new value (a changelog). With it
 * (the job's `miniBatch`, Flink SQL's mini-batch aggregation) records are folded per key into a
 * bundle, and a flush writes each key's value to state and emits it once: the last value a key
 * would have emitted, with the event time of its last record.
 *
 * A bundle is flushed when it holds `size` records, when `latency` has passed since its first
 * record (a mail of the task, so never inside a batch or a snapshot), before a watermark passes on
 * (no update falls behind the watermark that followed its records), and before a checkpoint
 * snapshots state or the input ends (the task calls `flush`): a snapshot never holds a bundle, so
 * checkpoints, savepoints and rescaling see plain keyed state.
 */
import type { MiniBatchSpec } from '../../common/jobfile';
import { KeyedState, stateKey } from '../state/keyed-state';
import type { ProcessingTimeService } from '../time/timer-service';
import type { Output } from './output';

export interface Aggregation<V> {
  key(record: unknown): unknown;
  /** The key's new value from its previous one (undefined: none yet) and one record. */
  fold(prev: V | undefined, record: unknown): V;
  /** What the operator emits for the key's value. */
  result(key: unknown, value: V): unknown;
}

/** One update per record. */
export function perRecord<V>(agg: Aggregation<V>, state: KeyedState<V>, out: Output): Output {
  const fold = (prev: V | undefined, r: unknown) => agg.fold(prev, r);
  return {
    push: (r, ts, _, kg) => {
      const key = agg.key(r);
      out.push(agg.result(key, state.update(key, fold, r, kg)), ts);
    },
    watermark: (w) => out.watermark(w),
    status: (idle) => out.status(idle),
  };
}

interface Pending<V> {
  key: unknown;
  value: V;
  timestamp: number | undefined;
  keyGroup: number | undefined;
}

export class MiniBatchAggregation<V> implements Output {
  private bundle = new Map<unknown, Pending<V>>();
  private records = 0;
  /** Bumped by every flush, so a latency timer of a bundle already flushed does nothing. */
  private generation = 0;

  constructor(
    private readonly agg: Aggregation<V>,
    private readonly state: KeyedState<V>,
    private readonly options: MiniBatchSpec,
    private readonly time: ProcessingTimeService,
    private readonly out: Output,
  ) {}

  push(record: unknown, timestamp?: number, _input?: string, keyGroup?: number): void {
    const key = this.agg.key(record);
    const id = stateKey(key);
    const pending = this.bundle.get(id);
    if (pending) {
      pending.value = this.agg.fold(pending.value, record);
      pending.timestamp = timestamp;
    } else {
      if (this.bundle.size === 0) this.armLatency();
      const value = this.agg.fold(this.state.get(key), record);
      this.bundle.set(id, { key, value, timestamp, keyGroup });
    }
    if (++this.records >= this.options.size) this.flush();
  }

  watermark(watermark: number): void {
    this.flush();
    this.out.watermark(watermark);
  }

  status(idle: boolean): void {
    this.out.status(idle);
  }

  /** Each key of the bundle: its value into state, one update downstream, in the order keys came. */
  flush(): void {
    if (this.bundle.size === 0) return;
    const bundle = this.bundle;
    this.bundle = new Map();
    this.records = 0;
    this.generation++;
    for (const p of bundle.values()) {
      this.state.put(p.key, p.value, p.keyGroup);
      this.out.push(this.agg.result(p.key, p.value), p.timestamp);
    }
  }

  private armLatency(): void {
    const generation = this.generation;
    this.time.schedule(this.time.now() + this.options.latency, () => {
      if (this.generation === generation) this.flush();
    });
  }
}
