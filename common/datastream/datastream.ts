/**
 * DataStream and its operators. Each call records a Transformation with its record
 * type flowing through the generics, so `keyBy('wrod')` on a stream of `{word: string}` does not
 * compile, and `sum` only takes numeric fields.
 *
 * KeyedStream: a stream partitioned by key, with the keyed nodes of the job file: running
 * aggregates (emit the updated value for every record), windows and keyed process functions with
 * state and timers. A key selector's key travels as ./key-carriers.ts says.
 *
 * WindowedStream: `keyBy(...).window(assigner)` followed by one aggregate, the job file's `window`
 * node. Each window's result is one record `{<key field>: key, windowStart, windowEnd, <aggregate>: value}`
 * (`key` for a key selector), emitted when the watermark (or the processing-time clock) passes the
 * window's end; with `allowedLateness` a late record within it emits an updated result, and records
 * later than that go to the side output `late` (`getSideOutput('late')`).
 *
 * The streams' types refer to each other (a DataStream is keyed, a KeyedStream's results are
 * DataStreams), so they live in one module: the API's modules import each other in no cycle.
 */
import type { LATE_OUTPUT } from '../jobfile';
import type { Sink } from './connectors';
import { besideFields, bound, inEnvelope, KEY_FIELD, selectedKey, type KeyCarrier, type Keyed } from './key-carriers';
import type { KeyedProcessFunction } from './process';
import type { WatermarkStrategy, WindowAssigner } from './time';
import type {
  AggregateKind,
  AnyFunction,
  AsyncOptions,
  Duration,
  NodeType,
  Partition,
  Transformation,
} from './transformation';

/** Names of T's fields, for `keyBy`. */
export type KeyField<T> = T extends object ? Extract<keyof T, string> : never;
/** Names of T's numeric fields, for `sum` / `min` / `max`. */
export type NumberField<T> = T extends object
  ? { [F in keyof T]-?: T[F] extends number ? F : never }[keyof T] & string
  : never;
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
    const t = this.graph.add({
      type,
      inputs: [this.transformation],
      inputTag: this.tag,
      fn,
      partition: this.partition,
      async,
    });
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
    const t = this.graph.add({
      type: 'sink',
      inputs: [this.transformation],
      inputTag: this.tag,
      connector: sink.connector,
      partition: this.partition,
    });
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
      ...('from' in strategy
        ? { from: strategy.from }
        : { field: strategy.field, ...(strategy.unit && { unit: strategy.unit }) }),
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

/** The stream a keyed node reads: a transformation's main output, or one of its side outputs. */
export interface KeyedInput {
  transformation: Transformation;
  tag?: string;
}

/** What a keyed node adds for a key selector: its input wrapped by `carrier`, its output mapped back. */
export interface KeyedNode {
  type: NodeType;
  extra: Partial<Transformation>;
  carrier: KeyCarrier;
  /** Maps the node's output back for a key selector (default: `carrier.unwrap`; null: none needed). */
  unkey?: ((result: Keyed) => unknown) | null;
  /** Maps the node's output for a field key (default: none). */
  output?: (result: Keyed) => unknown;
}

export class KeyedStream<T, K, KF extends string> {
  declare readonly __key?: K;

  constructor(
    readonly graph: TransformationSink,
    private readonly input: KeyedInput,
    /** A field name, or a selector whose key the results carry as `key`. */
    readonly key: string | KeySelector<T, unknown>,
  ) {}

  /** Adds `node` keyed by this stream's key: the keyed transformation and the one with its results. */
  keyedNode(node: KeyedNode): { main: Transformation; out: Transformation } {
    const { transformation: input, tag } = this.input;
    const result = (main: Transformation, out: Transformation) => ({ main, out });
    const helper = (main: Transformation, role: string, fn: (r: Keyed) => unknown) =>
      this.graph.add({ type: 'map', inputs: [main], parallelismFrom: main, helperOf: { main, role }, fn });
    if (typeof this.key === 'string') {
      const t = this.graph.add({ type: node.type, inputs: [input], inputTag: tag, keyBy: this.key, ...node.extra });
      return result(t, node.output ? helper(t, 'result', node.output) : t);
    }
    const selector = this.key;
    const inputs: Transformation[] = [];
    const keyed: Transformation = { type: node.type, inputs, keyBy: KEY_FIELD, ...node.extra };
    inputs.push(
      this.graph.add({
        type: 'map',
        inputs: [input],
        inputTag: tag,
        parallelismFrom: input,
        helperOf: { main: keyed, role: 'key' },
        fn: (r: T) => node.carrier.wrap(r, selectedKey(selector, r)),
      }),
    );
    this.graph.add(keyed);
    if (node.unkey === null) return result(keyed, keyed);
    return result(keyed, helper(keyed, 'unkey', node.unkey ?? node.carrier.unwrap));
  }

  private keyed<O>(node: KeyedNode): SingleOutputStreamOperator<O> {
    const { main, out } = this.keyedNode(node);
    return new SingleOutputStreamOperator<O>(this.graph, out, main);
  }

  sum(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'sum', extra: { field }, carrier: besideFields });
  }

  min(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'min', extra: { field }, carrier: besideFields });
  }

  max(field: NumberField<T>): SingleOutputStreamOperator<T> {
    return this.keyed({ type: 'max', extra: { field }, carrier: besideFields });
  }

  /** `{<key field>: key, count}` per record, or `{key, count}` for a key selector. */
  count(): SingleOutputStreamOperator<{ [P in KF]: K } & { count: number }> {
    return this.keyed({
      type: 'count',
      extra: {},
      carrier: { wrap: (_, key) => ({ [KEY_FIELD]: key }), unwrap: ({ [KEY_FIELD]: key, count }) => ({ key, count }) },
    });
  }

  reduce(fn: (accumulated: T, value: T) => T): SingleOutputStreamOperator<T> {
    if (typeof this.key === 'string') return this.keyed({ type: 'reduce', extra: { fn }, carrier: besideFields });
    const enveloped = (a: Keyed, b: Keyed): Keyed => ({
      [KEY_FIELD]: a[KEY_FIELD],
      value: fn(a.value as T, b.value as T),
    });
    return this.keyed({ type: 'reduce', extra: { fn: enveloped }, carrier: inEnvelope });
  }

  /** Groups each key's records into windows (Flink's `window(assigner)`); an aggregate follows. */
  window(assigner: WindowAssigner): WindowedStream<T, K, KF> {
    return new WindowedStream<T, K, KF>(this, assigner);
  }

  /**
   * Flink's KeyedProcessFunction, the job file's `process` node: `fn` gets each record and a context
   * with the key's state (value, list, map; optional TTL), `emit`, the watermark and timers, which
   * call `onTimer` for the key. What it emits goes on as it is.
   */
  process<O>(fn: KeyedProcessFunction<K, T, O>): SingleOutputStreamOperator<O> {
    const code = typeof fn === 'function' ? { processElement: fn } : fn;
    if (typeof this.key === 'string') {
      return this.keyed({ type: 'process', extra: { fn: bound(code) }, carrier: besideFields });
    }
    // The record comes in an envelope with its key; `fn` sees the record.
    const unwrapped = {
      ...bound(code),
      processElement: (e: Keyed, ctx: unknown) => code.processElement((e as { value: T }).value, ctx as never),
    };
    return this.keyed({ type: 'process', extra: { fn: unwrapped }, carrier: inEnvelope, unkey: null });
  }
}

/** The runtime's side output of records too late for every window they belong to. */
export type LateOutput = typeof LATE_OUTPUT;

export type WindowResult<KF extends string, K, A extends string, V> = { [P in KF]: K } & {
  windowStart: number;
  windowEnd: number;
} & { [P in A]: V };

/** Flink's AggregateFunction; the accumulator is kept in checkpoints, so it must be plain data. */
export interface AggregateFunction<T, ACC, R> {
  createAccumulator(): ACC;
  add(value: T, accumulator: ACC): ACC;
  merge(a: ACC, b: ACC): ACC;
  getResult(accumulator: ACC): R;
}

/** A window's results, and the late records it dropped (`getSideOutput('late')`). */
export type WindowOperator<R, T> = SingleOutputStreamOperator<R> & {
  /** The records later than the window's allowed lateness, as they came in. */
  getSideOutput(tag: LateOutput): DataStream<T>;
};

export class WindowedStream<T, K, KF extends string> {
  private lateness: Duration | undefined;

  constructor(
    private readonly keyed: KeyedStream<T, K, KF>,
    private readonly assigner: WindowAssigner,
  ) {}

  /** How long after a window's end late records still update its result (event time; default 0). */
  allowedLateness(lateness: Duration): this {
    this.lateness = lateness;
    return this;
  }

  private node<R>(
    aggregate: AggregateKind,
    extra: Partial<Transformation>,
    carrier: KeyCarrier,
    result?: (value: unknown) => unknown,
    rename?: boolean,
  ): WindowOperator<R, T> {
    const { window, time } = this.assigner;
    const settings: Partial<Transformation> = {
      window,
      aggregate,
      ...(time === 'processing' && { time }),
      ...(this.lateness !== undefined && { allowedLateness: this.lateness }),
      ...extra,
    };
    const keyField = typeof this.keyed.key === 'string' ? this.keyed.key : KEY_FIELD;
    // A custom aggregate's result field is its fn's name, the node id: the API calls it `result`.
    const field = rename ? undefined : aggregate;
    const tidy = ({ [keyField]: key, windowStart, windowEnd, ...rest }: Keyed): Keyed => {
      const value = field ? rest[field] : Object.values(rest)[0];
      return {
        [keyField === KEY_FIELD ? 'key' : keyField]: key,
        windowStart,
        windowEnd,
        [field ?? 'result']: result ? result(value) : value,
      };
    };
    const selector = typeof this.keyed.key !== 'string';
    const { main, out } = this.keyed.keyedNode({
      type: 'window',
      extra: settings,
      carrier,
      unkey: tidy,
      ...(rename && { output: tidy }),
    });
    const graph = this.keyed.graph;
    const getSideOutput = (tag: LateOutput): DataStream<T> => {
      if (!selector) return new DataStream<T>(graph, main, undefined, tag);
      // A key selector's late records are wrapped like the window's input: unwrap them.
      const t = graph.add({
        type: 'map',
        inputs: [main],
        inputTag: tag,
        parallelismFrom: main,
        helperOf: { main, role: tag },
        fn: carrier.unwrap,
      });
      return new DataStream<T>(graph, t);
    };
    return Object.assign(new SingleOutputStreamOperator<R>(graph, out, main), { getSideOutput });
  }

  /** Records per window: `{..., count}`. */
  count(): WindowOperator<WindowResult<KF, K, 'count', number>, T> {
    return this.node('count', {}, inEnvelope);
  }

  sum<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'sum', number>, T> {
    return this.node('sum', { field }, besideFields);
  }

  min<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'min', number>, T> {
    return this.node('min', { field }, besideFields);
  }

  max<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'max', number>, T> {
    return this.node('max', { field }, besideFields);
  }

  avg<F extends NumberField<T>>(field: F): WindowOperator<WindowResult<KF, K, 'avg', number>, T> {
    return this.node('avg', { field }, besideFields);
  }

  /** The window's records combined pairwise: `{..., reduce}`. */
  reduce(fn: (accumulated: T, value: T) => T): WindowOperator<WindowResult<KF, K, 'reduce', T>, T> {
    if (typeof this.keyed.key === 'string') return this.node('reduce', { fn }, besideFields);
    const enveloped = (a: Keyed, b: Keyed): Keyed => ({
      [KEY_FIELD]: a[KEY_FIELD],
      value: fn(a.value as T, b.value as T),
    });
    return this.node('reduce', { fn: enveloped }, inEnvelope, (e) => (e as Keyed).value);
  }

  /** Flink's `aggregate(AggregateFunction)`: `{..., result}` with what `getResult` returns. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): WindowOperator<WindowResult<KF, K, 'result', R>, T> {
    const selector = typeof this.keyed.key !== 'string';
    const runtime = {
      create: () => fn.createAccumulator(),
      add: (acc: ACC, r: unknown) => fn.add(selector ? ((r as Keyed).value as T) : (r as T), acc),
      merge: (a: ACC, b: ACC) => fn.merge(a, b),
      result: (acc: ACC) => fn.getResult(acc),
    };
    return this.node('custom', { fn: runtime }, selector ? inEnvelope : besideFields, undefined, true);
  }
}
