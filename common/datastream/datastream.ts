/**
 * DataStream and its operators. Each call records a Transformation with its record
 * type flowing through the generics, so `keyBy('wrod')` on a stream of `{word: string}` does not
 * compile, and `sum` only takes numeric fields. Keyed streams, windows and keyed process functions
 * are in keyed-stream.ts and windowed-stream.ts.
 */
import type { Sink } from './connectors';
import { KeyedStream } from './keyed-stream';
import type { WatermarkStrategy } from './time';
import type { AnyFunction, AsyncOptions, NodeType, Partition, Transformation } from './transformation';

/** Names of T's fields, for `keyBy`. */
export type KeyField<T> = T extends object ? Extract<keyof T, string> : never;
/** Names of T's numeric fields, for `sum` / `min` / `max`. */
export type NumberField<T> = T extends object ? { [F in keyof T]-?: T[F] extends number ? F : never }[keyof T] & string : never;
export type KeySelector<T, K> = (value: T) => K;

export interface Collector<O> {
  collect(value: O): void;
}
/** Flink's ProcessFunction without timers or state (those are keyed, see KeyedStream). */
export type ProcessFunction<I, O> = (value: I, out: Collector<O>) => void;

/** Where transformations are recorded: the environment. */
export interface TransformationSink {
  add<T extends Transformation>(t: T): T;
}

export class DataStream<T> {
  constructor(
    protected readonly graph: TransformationSink,
    /** The transformation whose output this stream is. */
    readonly transformation: Transformation,
    private readonly partition?: Partition,
    /** A side output of `transformation` (a window's late records) rather than its main output. */
    protected readonly tag?: string,
  ) {}

  private operator<O>(type: NodeType, fn: AnyFunction, async?: AsyncOptions): SingleOutputStreamOperator<O> {
    const t = this.graph.add({ type, inputs: [this.transformation], inputTag: this.tag, fn, partition: this.partition, async });
    return new SingleOutputStreamOperator<O>(this.graph, t, t);
  }

  map<O>(fn: (value: T) => O): SingleOutputStreamOperator<O> {
    return this.operator('map', fn);
  }

  flatMap<O>(fn: (value: T) => Iterable<O>): SingleOutputStreamOperator<O> {
    return this.operator('flatMap', fn);
  }

  filter(fn: (value: T) => boolean): SingleOutputStreamOperator<T> {
    return this.operator('filter', fn);
  }

  /**
   * Flink's AsyncDataStream: one call of `fn` per record, at most `capacity` (default 100) in flight
   * per subtask, the stream back-pressured while they are; results in input order (`ordered`, the
   * default) or as they complete. A call without a result after `timeout` ms fails the task, or with
   * `onTimeout: 'drop'` emits nothing for that record. Records still waiting are part of checkpoints
   * and are called again after a restore.
   */
  asyncMap<O>(fn: (value: T) => Promise<O>, options: AsyncOptions): SingleOutputStreamOperator<O> {
    return this.operator('asyncMap', fn, options);
  }

  /**
   * A function that emits any number of records through a collector. Without keyed state or timers it
   * runs as a flatMap node; `keyBy(...).process(fn)` has both.
   */
  process<O>(fn: ProcessFunction<T, O>): SingleOutputStreamOperator<O> {
    return this.operator('flatMap', (value: T) => {
      const out: O[] = [];
      fn(value, { collect: (v) => out.push(v) });
      return out;
    });
  }

  /** Partitions by a field of the records, keeping them as they are. */
  keyBy<F extends KeyField<T>>(field: F): KeyedStream<T, T[F], F>;
  /** Partitions by what `selector` returns for each record; results carry it as `key`. */
  keyBy<K>(selector: KeySelector<T, K>): KeyedStream<T, K, 'key'>;
  keyBy(key: string | KeySelector<T, unknown>): unknown {
    return new KeyedStream(this.graph, { transformation: this.transformation, tag: this.tag }, key);
  }

  /** The next operator reads this stream round-robin. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'rebalance', this.tag);
  }

  /** Every subtask of the next operator gets every record. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'broadcast', this.tag);
  }

  /** The next operator's subtask i reads this stream's subtask i (needs equal parallelism). */
  forward(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'forward', this.tag);
  }

  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    const t = this.graph.add({ type: 'sink', inputs: [this.transformation], inputTag: this.tag, connector: sink.connector, partition: this.partition });
    return new DataStreamSink<T>(t);
  }

  /** Each record as a JSON line on the TaskManager's stdout. */
  print(): DataStreamSink<T> {
    return this.sinkTo({ connector: { kind: 'stdout' } });
  }
}

/** A stream produced by one operator, whose name, uid and parallelism can be set. */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  constructor(
    graph: TransformationSink,
    output: Transformation,
    /** The operator the settings apply to (for a key selector, not the helper map producing `output`). */
    private readonly operatorTransformation: Transformation,
  ) {
    super(graph, output);
  }

  /** Shown in plans, the dashboard and status; also the operator's id when it has no uid. */
  name(name: string): this {
    this.operatorTransformation.name = name;
    return this;
  }

  /** The operator's stable id: its state in checkpoints is found by it, as in Flink. */
  uid(uid: string): this {
    this.operatorTransformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    this.operatorTransformation.parallelism = parallelism;
    return this;
  }

  /**
   * The records leaving this operator get their event time from `strategy.field` (or a Kafka
   * source's record timestamps), with bounded-out-of-orderness watermarks: the job file's
   * `timestamps` on this node.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): this {
    const { maxOutOfOrderness, idleTimeout } = strategy;
    this.transformation.timestamps = {
      ...('from' in strategy ? { from: strategy.from } : { field: strategy.field, ...(strategy.unit && { unit: strategy.unit }) }),
      ...(maxOutOfOrderness !== undefined && { maxOutOfOrderness }),
      ...(idleTimeout !== undefined && { idleTimeout }),
    };
    return this;
  }
}

/** The end of a stream: name, uid and parallelism as for operators. */
export class DataStreamSink<T> {
  declare readonly __record?: T;
  constructor(private readonly sinkTransformation: Transformation) {}

  name(name: string): this {
    this.sinkTransformation.name = name;
    return this;
  }

  uid(uid: string): this {
    this.sinkTransformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    this.sinkTransformation.parallelism = parallelism;
    return this;
  }
}
