/**
 * DataStream, KeyedStream and their operators. Each call records a Transformation with its record
 * type flowing through the generics, so `keyBy('wrod')` on a stream of `{word: string}` does not
 * compile, and `sum` only takes numeric fields.
 */
import type { Sink } from './connectors';
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
  ) {}

  private operator<O>(type: NodeType, fn: AnyFunction, async?: AsyncOptions): SingleOutputStreamOperator<O> {
    const t = this.graph.add({ type, inputs: [this.transformation], fn, partition: this.partition, async });
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
   * runs as a flatMap node. Extension point: once the job file has a `process` node, `ctx` (timestamp,
   * side outputs) joins here.
   */
  process<O>(fn: ProcessFunction<T, O>): SingleOutputStreamOperator<O> {
    return this.operator('flatMap', (value: T) => {
      const out: O[] = [];
      fn(value, { collect: (v) => out.push(v) });
      return out;
    });
  }

  /** Partitions by a field of the records, keeping them as they are. */
  keyBy<F extends KeyField<T>>(field: F): KeyedStream<T, T[F], Pick<T, F> & { count: number }>;
  /** Partitions by what `selector` returns for each record. */
  keyBy<K>(selector: KeySelector<T, K>): KeyedStream<T, K, { key: K; count: number }>;
  keyBy(key: string | KeySelector<T, unknown>): KeyedStream<T, unknown, unknown> {
    return new KeyedStream(this.graph, this.transformation, key);
  }

  /** The next operator reads this stream round-robin. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'rebalance');
  }

  /** Every subtask of the next operator gets every record. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'broadcast');
  }

  /** The next operator's subtask i reads this stream's subtask i (needs equal parallelism). */
  forward(): DataStream<T> {
    return new DataStream<T>(this.graph, this.transformation, 'forward');
  }

  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    const t = this.graph.add({ type: 'sink', inputs: [this.transformation], connector: sink.connector, partition: this.partition });
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

/** Records of the key selector's key, in a field only the API's own helper maps see. */
const KEY_FIELD = '__flinkxKey';
type Keyed = Record<string, unknown>;

/** How a keyed node's input carries a selector's key, and how its output loses it again. */
interface KeyCarrier {
  wrap(record: unknown, key: unknown): Keyed;
  unwrap(result: Keyed): unknown;
}
/** sum / min / max read and keep the record's fields: the key rides along as one more field. */
const besideFields: KeyCarrier = {
  wrap: (r, key) => ({ ...(r as Keyed), [KEY_FIELD]: key }),
  unwrap: ({ [KEY_FIELD]: _, ...r }) => r,
};

/**
 * A stream partitioned by key, with the keyed aggregations of the job file (running aggregates that
 * emit the updated value for every record). Extension point: `window(...)` and a keyed `process`
 * with state and timers map onto the job file's `window` and `process` nodes once it has them.
 */
export class KeyedStream<T, K, Counted> {
  declare readonly __key?: K;

  constructor(
    private readonly graph: TransformationSink,
    private readonly input: Transformation,
    private readonly key: string | KeySelector<T, unknown>,
  ) {}

  /**
   * The engine keys on a record field. A key selector's key is computed into a field by a map chained
   * to the input before the shuffle and removed by a map chained after the aggregation, so the user's
   * functions and the results see records as they were. `carrier` is only used with a key selector.
   */
  private aggregate<O>(type: NodeType, extra: { field?: string; fn?: AnyFunction }, carrier: KeyCarrier): SingleOutputStreamOperator<O> {
    if (typeof this.key === 'string') {
      const t = this.graph.add({ type, inputs: [this.input], keyBy: this.key, ...extra });
      return new SingleOutputStreamOperator<O>(this.graph, t, t);
    }
    const selector = this.key;
    const inputs: Transformation[] = [];
    const keyed: Transformation = { type, inputs, keyBy: KEY_FIELD, ...extra };
    const withKey = this.graph.add({
      type: 'map', inputs: [this.input], parallelismFrom: this.input, helperOf: { main: keyed, role: 'key' },
      fn: (r: T) => carrier.wrap(r, selector(r)),
    });
    inputs.push(withKey);
    this.graph.add(keyed);
    const out = this.graph.add({
      type: 'map', inputs: [keyed], parallelismFrom: keyed, helperOf: { main: keyed, role: 'unkey' }, fn: carrier.unwrap,
    });
    return new SingleOutputStreamOperator<O>(this.graph, out, keyed);
  }

  sum(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('sum', { field }, besideFields);
  }

  min(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('min', { field }, besideFields);
  }

  max(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate('max', { field }, besideFields);
  }

  /** `{<key field>: key, count}` per record, or `{key, count}` for a key selector. */
  count(): SingleOutputStreamOperator<Counted> {
    return this.aggregate('count', {}, {
      wrap: (_, key) => ({ [KEY_FIELD]: key }),
      unwrap: ({ [KEY_FIELD]: key, count }) => ({ key, count }),
    });
  }

  reduce(fn: (accumulated: T, value: T) => T): SingleOutputStreamOperator<T> {
    if (typeof this.key === 'string') return this.aggregate('reduce', { fn }, besideFields);
    // Records of any type (strings too) travel in an envelope, so `fn` sees them as they are.
    const inEnvelope = (a: Keyed, b: Keyed): Keyed => ({ [KEY_FIELD]: a[KEY_FIELD], value: fn(a.value as T, b.value as T) });
    return this.aggregate('reduce', { fn: inEnvelope }, { wrap: (value, key) => ({ [KEY_FIELD]: key, value }), unwrap: (e) => e.value });
  }
}
